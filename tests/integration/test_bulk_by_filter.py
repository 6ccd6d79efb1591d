"""POST /jobs/bulk with `filter`: every job the GET /jobs filters match, in bounded batches."""

import asyncpg
import httpx
import pytest

from job_contract.bounds import MAX_JOBS_PER_REQUEST
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import create_job, email_job, insert_jobs


async def statuses(db: asyncpg.Connection) -> dict[str, int]:
    rows = await db.fetch("SELECT status, count(*) AS n FROM jobs GROUP BY status")
    return {row["status"]: row["n"] for row in rows}


async def test_dry_run_counts_what_a_retry_would_do_and_changes_nothing(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 3, status="failed", type="email")
    await insert_jobs(db, 2, status="cancelled", type="email")
    await insert_jobs(db, 4, status="completed", type="email")
    await insert_jobs(db, 5, status="failed", type="report")
    body = {"action": "retry", "filter": {"type": "email"}, "dry_run": True}

    response = await api.post("/jobs/bulk", json=body)

    assert response.status_code == 200
    assert response.json() == {"matched": 9, "succeeded": 5, "skipped": 4}
    assert await statuses(db) == {"failed": 8, "cancelled": 2, "completed": 4}


async def test_retry_by_filter_acts_on_the_matches_and_skips_the_statuses_it_may_not(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 3, status="failed", priority=1)
    await insert_jobs(db, 2, status="completed", priority=1)
    await insert_jobs(db, 4, status="failed", priority=5)  # another priority: not matched
    body = {"action": "retry", "filter": {"priority": "1", "status": ["failed", "completed"]}}

    response = await api.post("/jobs/bulk", json=body)

    assert response.json() == {"matched": 5, "succeeded": 3, "skipped": 2}
    counts = await db.fetch(
        "SELECT priority, status, count(*) AS n FROM jobs GROUP BY 1, 2 ORDER BY 1, 2"
    )
    assert [tuple(row) for row in counts] == [
        (1, "completed", 2),
        (1, "pending", 3),
        (5, "failed", 4),
    ]
    retried = await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'retried'")
    assert retried == 3


async def test_limit_acts_on_the_oldest_matches_only(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    old = await insert_jobs(db, 2, created_at="2026-01-01T00:00:00Z")
    await insert_jobs(db, 3, created_at="2026-02-01T00:00:00Z")

    response = await api.post(
        "/jobs/bulk", json={"action": "cancel", "filter": {"status": "pending"}, "limit": 2}
    )

    assert response.json() == {"matched": 2, "succeeded": 2, "skipped": 0}
    cancelled = await db.fetch("SELECT id::text FROM jobs WHERE status = 'cancelled'")
    assert sorted(row["id"] for row in cancelled) == sorted(old)


async def test_a_run_commits_in_batches_no_larger_than_an_ids_request(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Each batch is its own transaction: the rows it changed carry its transaction id."""
    count = 2 * MAX_JOBS_PER_REQUEST + 500
    await insert_jobs(db, count, status="failed")

    response = await api.post("/jobs/bulk", json={"action": "retry", "filter": {}})

    assert response.json() == {"matched": count, "succeeded": count, "skipped": 0}
    batches = await db.fetch(
        "SELECT count(*) AS n FROM jobs WHERE status = 'pending' GROUP BY xmin::text ORDER BY 1"
    )
    assert [row["n"] for row in batches] == [500, MAX_JOBS_PER_REQUEST, MAX_JOBS_PER_REQUEST]


async def test_delete_by_search_text_removes_only_terminal_matches(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await create_job(api, email_job(payload={"subject": "zebra crossing"}))
    finished = await create_job(api, email_job(payload={"subject": "zebra stripes"}))
    await db.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", finished["id"])
    await create_job(api, email_job(payload={"subject": "lion"}))

    body = {"action": "delete", "filter": {"q": "zebra"}}
    response = await api.post("/jobs/bulk", json=body)

    assert response.json() == {"matched": 2, "succeeded": 1, "skipped": 1}
    assert await db.fetchval("SELECT count(*) FROM jobs") == 2
    assert await db.fetchval("SELECT count(*) FROM jobs WHERE id = $1", finished["id"]) == 0


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"action": "cancel"}, ["body", "ids"]),
        ({"action": "cancel", "ids": [], "filter": {}}, ["body", "ids"]),
        (
            {"action": "cancel", "ids": ["8d7c1a1e-8a4b-4c1e-9e0b-6f1f1f1f1f1f"], "filter": {}},
            ["body", "filter"],
        ),
        ({"action": "cancel", "filter": {"status": "lost"}}, ["body", "filter", "status"]),
        ({"action": "cancel", "filter": {"priority": "9"}}, ["body", "filter", "priority"]),
        ({"action": "cancel", "filter": {"type": "Bad Name"}}, ["body", "filter", "type"]),
        ({"action": "cancel", "filter": {"statuses": "failed"}}, ["body", "filter", "statuses"]),
        (
            {"action": "cancel", "filter": {"created_after": "soon"}},
            ["body", "filter", "created_after"],
        ),
        ({"action": "cancel", "filter": {}, "limit": 10_001}, ["body", "limit"]),
        ({"action": "cancel", "filter": {}, "limit": 0}, ["body", "limit"]),
        (
            {"action": "cancel", "ids": ["8d7c1a1e-8a4b-4c1e-9e0b-6f1f1f1f1f1f"], "dry_run": True},
            ["body", "dry_run"],
        ),
    ],
)
async def test_bad_filter_request_is_a_422_naming_the_field_and_changes_nothing(
    api: httpx.AsyncClient, db: asyncpg.Connection, body: dict, loc: list[str]
) -> None:
    await insert_jobs(db, 2)

    response = await api.post("/jobs/bulk", json=body)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert await statuses(db) == {"pending": 2}


@pytest.mark.parametrize(("role", "code"), [(Role.PRODUCER, 403), (Role.OPERATOR, 200)])
async def test_only_operators_and_up_act_by_filter(
    producer_url: str, tokens: dict[Role, str], db: asyncpg.Connection, role: Role, code: int
) -> None:
    await insert_jobs(db, 2)
    body = {"action": "cancel", "filter": {"status": "pending"}}

    async with httpx.AsyncClient(base_url=producer_url, headers=bearer(tokens[role])) as client:
        response = await client.post("/jobs/bulk", json=body)

    assert response.status_code == code
    expected = {"cancelled": 2} if code == 200 else {"pending": 2}
    assert await statuses(db) == expected
