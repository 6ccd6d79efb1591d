"""Heartbeats renew leases; the rescuer returns jobs whose lease expired; runners silent for
a day are forgotten."""

import asyncpg
import httpx

from tests.factories import insert_jobs
from worker_service.rescuer import Rescuer
from worker_service.stale_runners import StaleRunnerSweeper


async def expire_lease(db: asyncpg.Connection, job_id: str) -> None:
    # Backdate the lease instead of sleeping through it.
    await db.execute(
        "UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1", job_id
    )


async def test_expired_lease_goes_back_to_pending_with_a_rescued_event(
    worker: httpx.AsyncClient, db: asyncpg.Connection, rescuer: Rescuer
) -> None:
    await insert_jobs(db)
    job = (await worker.post("/process?worker_id=crashed")).json()
    await expire_lease(db, job["id"])

    rescued = await rescuer.run_once()

    assert rescued == 1
    row = await db.fetchrow("SELECT status, locked_by, error FROM jobs WHERE id = $1", job["id"])
    assert tuple(row) == ("pending", None, "lease of crashed expired")
    event = await db.fetchrow(
        "SELECT kind, worker_id, detail FROM job_events ORDER BY id DESC LIMIT 1"
    )
    assert tuple(event) == ("rescued", "crashed", "lease of crashed expired; back to pending")
    again = (await worker.post("/process")).json()
    assert (again["id"], again["attempts"]) == (job["id"], 2)


async def test_expired_lease_on_the_last_attempt_fails_the_job(
    worker: httpx.AsyncClient, db: asyncpg.Connection, rescuer: Rescuer
) -> None:
    await insert_jobs(db, max_attempts=1)
    job = (await worker.post("/process")).json()
    await expire_lease(db, job["id"])

    await rescuer.run_once()

    assert await db.fetchval("SELECT status FROM jobs WHERE id = $1", job["id"]) == "failed"


async def test_live_leases_are_left_alone(
    worker: httpx.AsyncClient, db: asyncpg.Connection, rescuer: Rescuer
) -> None:
    await insert_jobs(db, 2)
    await worker.post("/process?limit=2")

    assert await rescuer.run_once() == 0
    assert await db.fetchval("SELECT count(*) FROM jobs WHERE status = 'processing'") == 2


async def test_rescues_are_bounded_per_pass(
    worker: httpx.AsyncClient, db: asyncpg.Connection, rescuer: Rescuer
) -> None:
    await insert_jobs(db, 150)
    for _ in range(2):
        await worker.post("/process?limit=75")
    await db.execute("UPDATE jobs SET locked_until = now() - interval '1 second'")

    assert [await rescuer.run_once() for _ in range(3)] == [100, 50, 0]


async def test_heartbeat_keeps_a_long_job_and_reports_lost_ones(
    worker: httpx.AsyncClient, db: asyncpg.Connection, rescuer: Rescuer
) -> None:
    await insert_jobs(db, 2)
    kept, lost = (await worker.post("/process?worker_id=slow&limit=2")).json()["jobs"]
    await db.execute("UPDATE jobs SET locked_until = now() + interval '1 second'")
    await expire_lease(db, lost["id"])
    await rescuer.run_once()  # takes `lost` away

    response = await worker.post("/workers/slow/heartbeat", json={"jobs": [kept["id"], lost["id"]]})

    assert response.json() == {"lost": [lost["id"]]}
    remaining = await db.fetchval("SELECT locked_until - now() FROM jobs WHERE id = $1", kept["id"])
    assert remaining.total_seconds() > 50  # renewed to a full lease
    assert await rescuer.run_once() == 0


async def test_runners_are_listed_active_idle_or_down(
    worker: httpx.AsyncClient, db: asyncpg.Connection, as_viewer: dict[str, str]
) -> None:
    await insert_jobs(db)
    job = (await worker.post("/process?worker_id=busy")).json()
    await worker.post("/workers/busy/heartbeat", json={"jobs": [job["id"]], "processed": 4})
    await worker.post("/workers/resting/heartbeat", json={"jobs": []})
    await worker.post("/workers/silent/heartbeat", json={})
    await db.execute(
        "UPDATE workers SET last_heartbeat_at = now() - interval '5 min' WHERE worker_id = 'silent'"
    )
    await worker.post("/workers/leaving/heartbeat", json={"stopping": True})

    runners = {
        runner["worker_id"]: runner
        for runner in (await worker.get("/workers", headers=as_viewer)).json()
    }

    assert {name: runner["status"] for name, runner in runners.items()} == {
        "busy": "active",
        "resting": "idle",
        "silent": "down",
        "leaving": "down",
    }
    assert (runners["busy"]["jobs_in_flight"], runners["busy"]["processed"]) == (1, 4)
    assert runners["silent"]["heartbeat_age_seconds"] >= 300


async def test_runners_silent_for_a_day_are_forgotten(
    worker: httpx.AsyncClient, db: asyncpg.Connection, sweeper: StaleRunnerSweeper
) -> None:
    for runner in ("recent", "ancient"):
        await worker.post(f"/workers/{runner}/heartbeat", json={})
    await db.execute(
        "UPDATE workers SET last_heartbeat_at = now() - interval '25 hours'"
        " WHERE worker_id = 'ancient'"
    )

    forgotten = await sweeper.run_once()

    assert forgotten == 1
    assert [row["worker_id"] for row in await db.fetch("SELECT worker_id FROM workers")] == [
        "recent"
    ]
    assert await sweeper.run_once() == 0
