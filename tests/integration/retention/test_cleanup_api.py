"""POST /maintenance/cleanup and its history, through the producer API: a dry run changes
nothing, a real run deletes exactly the expired finished jobs with everything hanging off
them, and /stats stays as it was."""

from typing import Any

import asyncpg
import httpx
import pytest

from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import insert_finished_jobs, insert_jobs
from tests.integration.retention.conftest import deletes_refused


@pytest.fixture
def as_operator(tokens: dict[Role, str]) -> dict[str, str]:
    return bearer(tokens[Role.OPERATOR])


async def arrange_mixed_ages(db: asyncpg.Connection) -> tuple[set[str], set[str]]:
    """Jobs on both sides of each RETAIN_*_DAYS default (7, 30, 7): (expired, kept)."""
    expired = {
        *await insert_finished_jobs(db, 3, "completed", 8),
        *await insert_finished_jobs(db, 2, "failed", 31, type="report"),
        *await insert_finished_jobs(db, 1, "cancelled", 7.1),
    }
    kept = {
        *await insert_finished_jobs(db, 2, "completed", 6.9),
        *await insert_finished_jobs(db, 1, "failed", 29),
        *await insert_finished_jobs(db, 1, "cancelled", 1),
        # Old, but not finished: never the cleaner's.
        *await insert_jobs(db, 1, created_at="2020-01-01T00:00:00Z"),
    }
    old = sorted(expired)[0]
    await db.execute(
        "INSERT INTO job_events (job_id, kind, attempt) VALUES ($1, 'created', 0)", old
    )
    await db.execute(
        "INSERT INTO job_artifacts (job_id, content_type, filename, content)"
        " VALUES ($1, 'text/csv', 'r.csv', 'a,b')",
        old,
    )
    return expired, kept


async def job_ids(db: asyncpg.Connection) -> set[str]:
    return {str(row["id"]) for row in await db.fetch("SELECT id FROM jobs")}


async def stats(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.get("/stats", params={"window": "7d"})
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


async def test_a_dry_run_counts_and_a_real_run_deletes_exactly_the_expired_jobs(
    api: httpx.AsyncClient, db: asyncpg.Connection, as_operator: dict[str, str]
) -> None:
    expired, kept = await arrange_mixed_ages(db)
    before = await stats(api)
    expected = {"completed": 3, "failed": 2, "cancelled": 1}

    dry = await api.post("/maintenance/cleanup?dry_run=true", headers=as_operator)

    assert dry.status_code == 200, dry.text
    assert dry.json() == {"dry_run": True, "deleted": expected, "archived_to": None}
    assert await job_ids(db) == expired | kept

    real = await api.post("/maintenance/cleanup", headers=as_operator)

    assert real.status_code == 200, real.text
    assert real.json() == {"dry_run": False, "deleted": expected, "archived_to": None}
    assert await job_ids(db) == kept
    for table in ("job_events", "job_artifacts", "job_search"):
        orphans = await db.fetchval(
            f"SELECT count(*) FROM {table} WHERE NOT EXISTS "
            f"(SELECT 1 FROM jobs WHERE jobs.id = {table}.job_id)"
        )
        assert orphans == 0, table
    assert await db.fetchval("SELECT count(*) FROM job_search") == len(kept)
    # The totals count retired jobs still, and the throughput chart keeps their completions.
    after = await stats(api)
    assert after["by_status"] == before["by_status"]
    assert after["by_type"] == before["by_type"]
    assert after["total"] == before["total"] == len(expired | kept)
    assert after["throughput"] == before["throughput"]
    # ...while the list counts what it can still show.
    listed = await api.get("/jobs", params={"status": "completed"})
    assert listed.json()["total"] == 2


async def test_each_run_is_in_the_history_newest_first_with_who_asked(
    api: httpx.AsyncClient, db: asyncpg.Connection, tokens: dict[Role, str]
) -> None:
    await insert_finished_jobs(db, 2, "completed", 10)
    operator, viewer = bearer(tokens[Role.OPERATOR]), bearer(tokens[Role.VIEWER])
    await api.post("/maintenance/cleanup?dry_run=true", headers=operator)
    await api.post("/maintenance/cleanup", headers=operator)

    refused = await api.post("/maintenance/cleanup", headers=viewer)
    history = await api.get("/maintenance/cleanup", headers=viewer)

    assert refused.status_code == 403
    assert history.status_code == 200, history.text
    real, dry = history.json()["runs"]
    assert (real["dry_run"], dry["dry_run"]) == (False, True)
    assert real["deleted"] == dry["deleted"] == {"completed": 2, "failed": 0, "cancelled": 0}
    assert {real["trigger"], dry["trigger"]} == {"api"}
    assert real["requested_by"] == "test-operator"
    assert real["started_at"] >= dry["started_at"]
    assert real["duration_ms"] >= 0 and real["error"] is None
    shown = history.json()
    assert shown["policy"]["retain_days"] == {"completed": 7, "failed": 30, "cancelled": 7}
    assert set(shown["tables"]) == {"jobs", "job_events", "job_artifacts", "job_search"}
    assert all(size["bytes"] > 0 for size in shown["tables"].values())


async def test_every_table_that_points_at_jobs_goes_with_its_job(db: asyncpg.Connection) -> None:
    # The cleaner deletes from jobs alone: a table added later with a job_id must cascade.
    references = await db.fetch("""
        SELECT conrelid::regclass::text AS child, confdeltype::text
        FROM pg_constraint WHERE contype = 'f' AND confrelid = 'jobs'::regclass
    """)

    assert {row["child"] for row in references} >= {"job_events", "job_artifacts", "job_search"}
    assert [row["child"] for row in references if row["confdeltype"] != "c"] == []


async def test_a_run_that_stops_half_way_answers_503_and_is_recorded(
    api: httpx.AsyncClient, db: asyncpg.Connection, as_operator: dict[str, str]
) -> None:
    await insert_finished_jobs(db, 2, "failed", 40)
    async with deletes_refused(db):
        stopped = await api.post("/maintenance/cleanup", headers=as_operator)

    assert stopped.status_code == 503
    assert "the clean-up stopped (RaiseError: disk on fire)" in stopped.json()["detail"]
    [run] = (await api.get("/maintenance/cleanup")).json()["runs"]
    assert run["error"] == "RaiseError: disk on fire"
    assert await db.fetchval("SELECT count(*) FROM jobs") == 2
