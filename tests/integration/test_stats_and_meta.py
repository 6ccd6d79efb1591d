"""GET /stats, /job-types, /healthz, /metrics, /docs."""

import asyncio

import asyncpg
import httpx
import pytest

from job_contract import JobStatus, JobType
from tests.factories import create_jobs, email_job, notification_job, report_job


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
    listed = (await api.get("/job-types")).json()["types"]
    types = {entry["name"]: entry for entry in listed}

    assert set(types) == {"email", "report", "notification"}
    assert all(entry["builtin"] for entry in listed)
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
