"""POST /process: what gets claimed, in which order, and never twice."""

import asyncio
from collections import Counter

import asyncpg
import httpx

from tests.factories import insert_jobs


async def claim(worker: httpx.AsyncClient, query: str = "") -> httpx.Response:
    return await worker.post(f"/process?{query}")


async def test_claim_leases_the_job_and_logs_the_claim(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    [job_id] = await insert_jobs(db)

    response = await claim(worker, "worker_id=runner-a")

    assert response.status_code == 200
    job = response.json()
    assert (job["id"], job["status"], job["attempts"], job["locked_by"]) == (
        job_id,
        "processing",
        1,
        "runner-a",
    )
    assert job["locked_until"] > job["updated_at"]
    event = await db.fetchrow(
        "SELECT kind, attempt, worker_id FROM job_events WHERE job_id = $1", job_id
    )
    assert tuple(event) == ("claimed", 1, "runner-a")


async def test_nothing_claimable_is_a_204(worker: httpx.AsyncClient) -> None:
    assert (await claim(worker)).status_code == 204


async def test_a_runner_name_is_assigned_when_none_is_given(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db)

    job = (await claim(worker)).json()

    assert job["locked_by"].startswith("runner-")


async def test_most_urgent_first_then_oldest_first(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    old_low = await insert_jobs(db, priority=1, created_at="2026-01-01T00:00:00Z")
    new_high = await insert_jobs(db, priority=5, created_at="2026-01-03T00:00:00Z")
    old_high = await insert_jobs(db, priority=5, created_at="2026-01-02T00:00:00Z")
    mid = await insert_jobs(db, priority=3, created_at="2026-01-01T00:00:00Z")

    order = [(await claim(worker)).json()["id"] for _ in range(4)]

    assert order == old_high + new_high + mid + old_low


async def test_scheduled_and_backing_off_jobs_wait_their_turn(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, priority=5, scheduled_for="2099-01-01T00:00:00Z")
    due = await insert_jobs(db, priority=1, scheduled_for="2020-01-01T00:00:00Z")

    first, second = await claim(worker), await claim(worker)

    assert first.json()["id"] == due[0]
    assert second.status_code == 204


async def test_type_filter_claims_only_those_types(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, type="email", priority=5)
    report = await insert_jobs(db, type="report", priority=1)

    response = await claim(worker, "types=report,notification")

    assert response.json()["id"] == report[0]
    assert (await claim(worker, "types=notification")).status_code == 204


async def test_batch_claim_answers_a_list_in_claim_order(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    low = await insert_jobs(db, 3, priority=1)
    high = await insert_jobs(db, 2, priority=4)

    first = (await claim(worker, "limit=4")).json()["jobs"]
    second = (await claim(worker, "limit=4")).json()["jobs"]
    third = await claim(worker, "limit=4")

    assert {job["id"] for job in first[:2]} == set(high)
    assert len(first) == 4 and len(second) == 1
    assert {job["id"] for job in first + second} == set(low + high)
    assert (third.status_code, third.json()) == (200, {"jobs": []})


async def test_fifty_claimers_racing_for_one_job_have_one_winner(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    for _ in range(10):
        [job_id] = await insert_jobs(db)

        responses = await asyncio.gather(*(claim(worker, f"worker_id=r{i}") for i in range(50)))

        winners = [r for r in responses if r.status_code == 200]
        assert len(winners) == 1
        assert {r.status_code for r in responses} == {200, 204}
        assert winners[0].json()["id"] == job_id
        assert (
            await db.fetchval(
                "SELECT count(*) FROM job_events WHERE job_id = $1 AND kind = 'claimed'", job_id
            )
            == 1
        )


async def test_eight_claimers_drain_five_thousand_jobs_exactly_once(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 5000)
    completions: Counter[str] = Counter()

    async def claimer(name: str) -> None:
        while True:
            jobs = (await claim(worker, f"worker_id={name}&limit=20")).json()["jobs"]
            if not jobs:
                return
            body = {
                "jobs": [
                    {"id": job["id"], "attempt": job["attempts"], "result": {"by": name}}
                    for job in jobs
                ]
            }
            acknowledged = (await worker.post("/complete", json=body)).json()
            assert acknowledged["conflicts"] == []
            completions.update(acknowledged["completed"])

    await asyncio.gather(*(claimer(f"claimer-{i}") for i in range(8)))

    assert len(completions) == 5000
    assert set(completions.values()) == {1}
    assert (
        await db.fetchval("SELECT count(*) FROM jobs WHERE status = 'completed' AND attempts = 1")
        == 5000
    )
    claimed = await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'claimed'")
    assert claimed == await db.fetchval("SELECT sum(attempts) FROM jobs") == 5000


async def test_bad_claim_options_are_a_422_naming_them(worker: httpx.AsyncClient) -> None:
    for query, field in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("wait=31", "wait"),
        ("types=Fax", "types"),
        ("types=email,9lives", "types"),
        ("colour=red", "colour"),
    ]:
        response = await claim(worker, query)
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"] == ["query", field]


async def test_one_runners_concurrent_claims_share_statements_and_never_overlap(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 400)
    claimed: Counter[str] = Counter()
    requests_with_jobs = 0

    async def slot(limit: int) -> None:
        nonlocal requests_with_jobs
        while True:
            jobs = (await claim(worker, f"worker_id=runner-16&limit={limit}")).json()["jobs"]
            if not jobs:
                return
            assert len(jobs) <= limit
            assert {job["locked_by"] for job in jobs} == {"runner-16"}
            claimed.update(job["id"] for job in jobs)
            requests_with_jobs += 1

    await asyncio.gather(*(slot(limit=1 + i % 3) for i in range(16)))

    assert len(claimed) == 400
    assert set(claimed.values()) == {1}
    # Claims made by one statement commit together and share the event's time.
    statements = await db.fetchval(
        "SELECT count(DISTINCT at) FROM job_events WHERE kind = 'claimed'"
    )
    assert statements < requests_with_jobs


async def test_one_runners_slots_racing_for_one_job_have_one_winner(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    for _ in range(5):
        [job_id] = await insert_jobs(db)

        responses = await asyncio.gather(*(claim(worker, "worker_id=same") for _ in range(30)))

        winners = [r for r in responses if r.status_code == 200]
        assert [winner.json()["id"] for winner in winners] == [job_id]
        assert {r.status_code for r in responses} == {200, 204}
