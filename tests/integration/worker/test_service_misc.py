"""Artifacts, report data, stats, health and metrics of the worker service."""

import uuid

import asyncpg
import httpx

from tests.factories import insert_jobs
from tests.servers import REPO_ROOT

CSV = {"content-type": "text/csv"}


async def test_artifact_is_stored_and_served_by_the_producer_api(
    worker: httpx.AsyncClient, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, type="report")
    job = (await worker.post("/process")).json()

    stored = await worker.put(
        f"/artifacts/{job['id']}?filename=summary.csv&attempt=1",
        content=b"type,status,jobs\nemail,completed,3\n",
        headers={"content-type": "text/csv"},
    )
    served = await api.get(f"/jobs/{job['id']}/artifact")

    assert stored.status_code == 201
    assert served.content == b"type,status,jobs\nemail,completed,3\n"
    assert served.headers["content-type"].startswith("text/csv")


async def test_artifact_for_an_unknown_job_is_a_404_and_for_a_finished_one_a_409(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    [done] = await insert_jobs(db, type="report", status="completed", attempts=1)

    unknown = await worker.put(f"/artifacts/{uuid.uuid4()}", content=b"x", headers=CSV)
    finished = await worker.put(f"/artifacts/{done}", content=b"x", headers=CSV)

    assert (unknown.status_code, finished.status_code) == (404, 409)
    assert await db.fetchval("SELECT count(*) FROM job_artifacts") == 0


async def test_oversized_artifact_is_a_413(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, type="report")
    job = (await worker.post("/process")).json()

    response = await worker.put(
        f"/artifacts/{job['id']}", content=b"x" * (10 * 1024 * 1024 + 1), headers=CSV
    )

    assert response.status_code == 413
    assert await db.fetchval("SELECT count(*) FROM job_artifacts") == 0


async def test_report_data_summarises_jobs_created_in_the_range(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 2, created_at="2026-03-10T12:00:00Z")
    await insert_jobs(
        db, type="report", status="failed", attempts=3, created_at="2026-03-31T23:00:00Z"
    )
    await insert_jobs(db, created_at="2026-04-01T00:00:00Z")  # the day after the range

    summary = (await worker.get("/report-data/jobs_summary?start=2026-03-01&end=2026-03-31")).json()
    failures = (await worker.get("/report-data/failures?start=2026-03-01&end=2026-03-31")).json()

    assert summary["rows"] == [
        {"type": "email", "status": "pending", "jobs": 2},
        {"type": "report", "status": "failed", "jobs": 1},
    ]
    assert [row["type"] for row in failures["rows"]] == ["report"]


async def test_report_data_refuses_unknown_reports_and_bad_dates(worker: httpx.AsyncClient) -> None:
    assert (
        await worker.get("/report-data/everything?start=2026-01-01&end=2026-01-02")
    ).status_code == 404
    bad = await worker.get("/report-data/failures?start=soon&end=2026-01-02")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "start"]


async def test_stats_count_jobs_by_status(
    worker: httpx.AsyncClient, db: asyncpg.Connection, as_viewer: dict[str, str]
) -> None:
    await insert_jobs(db, 3)
    await insert_jobs(db, status="cancelled")

    stats = (await worker.get("/stats", headers=as_viewer)).json()

    assert stats == {
        "by_status": {"pending": 3, "processing": 0, "completed": 0, "failed": 0, "cancelled": 1}
    }


async def test_health_and_metrics(worker: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    await insert_jobs(db)
    job = (await worker.post("/process")).json()
    await worker.post(f"/complete/{job['id']}", json={})

    health = (await worker.get("/healthz")).json()
    metrics = (await worker.get("/metrics")).text

    assert health == {"status": "ok", "database": "ok"}
    for name in (
        "jobdeck_claims_total",
        "jobdeck_completions_total",
        "jobdeck_job_wait_seconds_bucket",
        "jobdeck_job_run_seconds_bucket",
        "jobdeck_rescues_total",
    ):
        assert name in metrics


async def test_metrics_count_jobs_by_status_and_waiting_claims_as_scraped(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 3)
    await insert_jobs(db, status="failed", attempts=3)

    metrics = (await worker.get("/metrics")).text

    for line in (
        'jobdeck_jobs{status="pending"} 3.0',
        'jobdeck_jobs{status="failed"} 1.0',
        'jobdeck_jobs{status="processing"} 0.0',
        "jobdeck_claims_waiting 0.0",
        "jobdeck_wakeups_listening 1.0",
    ):
        assert line in metrics.splitlines()


async def test_requests_write_no_access_log_lines(
    worker: httpx.AsyncClient, worker_url: str, as_viewer: dict[str, str]
) -> None:
    # Runners make thousands of requests a second; the service's log keeps to what matters.
    port = worker_url.rsplit(":", 1)[1]
    log = REPO_ROOT / ".data" / "logs" / f"worker_service-{port}.log"

    await worker.get("/stats?marker=access-log-check", headers=as_viewer)

    assert log.exists()
    assert "access-log-check" not in log.read_text()
