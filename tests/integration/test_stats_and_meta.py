"""GET /stats, /job-types, /healthz, /metrics, /docs."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from job_contract import JobStatus, JobType
from producer_api.db import create_engine
from producer_api.job_counts import TotalCounter
from producer_api.stats_compactor import StatsCompactor, StatsCompactorSettings
from producer_api.store import JobStore, StatsCompaction
from tests.factories import create_job, create_jobs, email_job, notification_job, report_job


@pytest.fixture
async def compactor(database_url: str) -> AsyncIterator[StatsCompactor]:
    """The producer's stats compactor, in this process, on the test database."""
    engine = create_engine(database_url, pool_size=1)
    counter = TotalCounter(exact_limit=10_000, timeout_ms=1_000)
    try:
        yield StatsCompactor(JobStore(engine, counter), StatsCompactorSettings())
    finally:
        await engine.dispose()


async def test_stats_agree_with_the_rows(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    jobs = [email_job()] * 4 + [report_job()] * 2 + [notification_job()] * 3
    ids = [job["id"] for job in await create_jobs(api, jobs)]
    await db.execute(
        "UPDATE jobs SET status = 'completed', completed_at = now() WHERE id = ANY($1::uuid[])",
        ids[:3],
    )
    await db.execute("UPDATE jobs SET status = 'failed', attempts = 3 WHERE id = $1", ids[5])
    await db.execute("DELETE FROM jobs WHERE id = $1", ids[8])

    stats = (await api.get("/stats")).json()

    by_status = dict(await db.fetch("SELECT status, count(*) FROM jobs GROUP BY status"))
    by_type = dict(await db.fetch("SELECT type, count(*) FROM jobs GROUP BY type"))
    assert stats["by_status"] == {status: by_status.get(status, 0) for status in JobStatus}
    assert stats["by_type"] == {job_type: by_type.get(job_type, 0) for job_type in JobType}
    assert stats["total"] == 8
    latest = stats["throughput"][-1]
    assert (latest["completed"], latest["failed"]) == (3, 1)


async def test_stats_stay_right_after_the_rollups_are_compacted(
    api: httpx.AsyncClient, db: asyncpg.Connection, compactor: StatsCompactor
) -> None:
    for _ in range(5):
        await create_job(api)
    await db.execute("UPDATE jobs SET status = 'cancelled'")

    compaction = await compactor.run_once()

    # Five inserts' rows and the update's two (pending -5, cancelled +5) fold into one.
    assert compaction == StatsCompaction(count_rows_removed=6, throughput_rows_removed=0)
    assert await db.fetchval("SELECT count(*) FROM job_count_deltas") == 1
    stats = (await api.get("/stats")).json()
    assert stats["by_status"]["cancelled"] == 5
    assert stats["by_status"]["pending"] == 0


async def test_a_compaction_folds_each_minute_once_and_forgets_old_minutes(
    api: httpx.AsyncClient, db: asyncpg.Connection, compactor: StatsCompactor
) -> None:
    an_hour_ago = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    for completed_at in (an_hour_ago, an_hour_ago, an_hour_ago - timedelta(days=40)):
        await db.execute(
            "INSERT INTO jobs (type, payload, status, completed_at)"
            " VALUES ('email', '{}', 'completed', $1)",
            completed_at,
        )

    first, second = await compactor.run_once(), await compactor.run_once()

    assert first == StatsCompaction(count_rows_removed=2, throughput_rows_removed=2)
    assert second == StatsCompaction(count_rows_removed=0, throughput_rows_removed=0)
    minutes = await db.fetch("SELECT minute, completed FROM job_throughput_deltas")
    assert [(row["minute"], row["completed"]) for row in minutes] == [(an_hour_ago, 2)]
    assert (await api.get("/stats")).json()["by_status"]["completed"] == 3


@pytest.mark.parametrize(("window", "buckets"), [("1h", 60), ("24h", 24), ("7d", 28)])
async def test_throughput_has_a_bucket_per_step_of_the_window(
    api: httpx.AsyncClient, window: str, buckets: int
) -> None:
    series = (await api.get(f"/stats?window={window}")).json()["throughput"]

    assert len(series) == buckets
    assert [point["bucket"] for point in series] == sorted(point["bucket"] for point in series)


async def test_unknown_window_is_a_422(api: httpx.AsyncClient) -> None:
    response = await api.get("/stats?window=1y")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "window"]


async def test_job_types_give_a_json_schema_per_type(api: httpx.AsyncClient) -> None:
    types = {entry["type"]: entry for entry in (await api.get("/job-types")).json()}

    assert set(types) == {"email", "report", "notification"}
    assert set(types["email"]["schema"]["required"]) == {"to", "subject", "body"}
    assert types["report"]["schema"]["properties"]["format"]["enum"] == ["csv", "pdf"]
    for job_type, entry in types.items():
        created = await api.post("/jobs", json={"type": job_type, "payload": entry["example"]})
        assert created.status_code == 201, created.text


async def test_healthz_reports_the_database(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok", "database": "ok"}


async def test_metrics_count_requests_by_route(api: httpx.AsyncClient) -> None:
    await api.get("/jobs")

    text = (await api.get("/metrics")).text

    assert 'jobdeck_api_requests_total{method="GET",route="/jobs",status="200"}' in text


async def test_swagger_ui_and_examples_are_served(api: httpx.AsyncClient) -> None:
    docs = await api.get("/docs")
    schema = (await api.get("/openapi.json")).json()

    assert docs.status_code == 200
    examples = schema["paths"]["/jobs"]["post"]["requestBody"]["content"]["application/json"][
        "examples"
    ]
    assert set(examples) == {"email", "report", "notification"}


async def test_concurrent_creates_and_reads_all_succeed(api: httpx.AsyncClient) -> None:
    requests = [api.post("/jobs", json=email_job()) for _ in range(30)] + [
        api.get("/stats") for _ in range(10)
    ]

    responses = await asyncio.gather(*requests)

    assert {response.status_code for response in responses} <= {200, 201}
