"""GET /exports/jobs.ndjson: finished jobs by finish day or by the list's filters, a line
each with its timeline, streamed with flat memory however many there are."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import psutil

from devstack import processes
from tests.access import bearer
from tests.factories import insert_finished_jobs, insert_jobs
from tests.servers import REPO_ROOT


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return [json.loads(line) for line in response.text.splitlines()]


async def test_a_days_export_holds_the_jobs_that_finished_that_day_with_their_events(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).date()
    noon = datetime.combine(three_days_ago, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    that_day = await insert_jobs(
        db, 2, status="completed", completed_at=noon, updated_at=noon, created_at=noon
    )
    failed_that_day = await insert_jobs(db, 1, status="failed", updated_at=noon, type="report")
    await insert_finished_jobs(db, 1, "completed", 1)  # another day
    await insert_jobs(db, 1, updated_at=noon)  # pending: not finished
    await db.execute(
        "INSERT INTO job_events (job_id, kind, attempt, worker_id)"
        " VALUES ($1, 'claimed', 1, 'w1'), ($1, 'completed', 1, 'w1')",
        that_day[0],
    )

    exported = lines(await api.get("/exports/jobs.ndjson", params={"date": str(three_days_ago)}))

    assert sorted(job["id"] for job in exported) == sorted(that_day + failed_that_day)
    first = next(job for job in exported if job["id"] == that_day[0])
    assert [event["kind"] for event in first["events"]] == ["claimed", "completed"]
    assert first["events"][0]["worker_id"] == "w1"
    detail = await api.get(f"/jobs/{that_day[0]}")
    assert first == detail.json()  # the line is the job as GET /jobs/{id} shows it

    by_filter = await api.get("/exports/jobs.ndjson", params={"type": "report"})
    assert [job["id"] for job in lines(by_filter)] == failed_that_day


async def test_bad_parameters_are_refused_naming_them(api: httpx.AsyncClient) -> None:
    for params, field in (
        ({"date": "2026-02-30"}, "date"),
        ({"date": "9999-12-31"}, "date"),
        ({"status": "finished"}, "status"),
        ({"priority": "9"}, "priority"),
    ):
        response = await api.get("/exports/jobs.ndjson", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["detail"][0]["loc"] == ["query", field]


async def test_a_hundred_thousand_jobs_stream_in_flat_memory(
    db: asyncpg.Connection, database_url: str, tokens: dict[Any, str]
) -> None:
    count = 100_000
    # Triggers off while arranging (the search table's trigram index alone would take most
    # of this test's time): the export reads only jobs and job_events.
    async with db.transaction():
        await db.execute("SET LOCAL session_replication_role = replica")
        await insert_finished_jobs(db, count, "completed", 2)
        await db.execute(
            "INSERT INTO job_events (job_id, kind, attempt, worker_id)"
            " SELECT id, 'completed', 1, 'runner-1' FROM jobs"
        )
    log = REPO_ROOT / ".data" / "logs" / "producer_api-export.log"
    env = {"DATABASE_URL": database_url}
    with processes.uvicorn_server("producer_api.main:app", env, log) as (base_url, process):
        server = psutil.Process(process.pid)
        headers = bearer(next(iter(tokens.values())))
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as client:
            warm = await client.get("/exports/jobs.ndjson", params={"q": "nothing-matches"})
            assert warm.status_code == 200
            before = server.memory_info().rss
            peak, received, size = before, 0, 0
            async with client.stream("GET", "/exports/jobs.ndjson") as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    received += 1
                    size += len(line)
                    if received % 5000 == 0:
                        peak = max(peak, server.memory_info().rss)

    assert received == count
    # The whole export is ~40 MB of JSON (and far more as Python objects): the server held
    # a fetch's worth at a time.
    assert size > 30 * 1024 * 1024
    print(f"grew {(peak - before) / 1e6:.1f} MB")
    assert peak - before < 25 * 1024 * 1024, f"grew {(peak - before) / 1e6:.0f} MB"
