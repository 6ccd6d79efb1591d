"""POST /process?wait=…: held until a job is claimable, woken by LISTEN/NOTIFY."""

import asyncio
import signal
import time
from pathlib import Path

import asyncpg
import httpx

from devstack import processes
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import create_job, insert_jobs, notification_job
from tests.integration.worker.conftest import claims_waiting_become


async def test_waiting_claim_wakes_soon_after_a_job_is_created(
    worker: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    waiting = asyncio.create_task(worker.post("/process?wait=10"))
    await claims_waiting_become(worker, 1)

    created_at = time.monotonic()
    await create_job(api, notification_job())
    response = await waiting
    woke_after = time.monotonic() - created_at

    assert response.status_code == 200
    assert woke_after < 0.1, f"woke {woke_after * 1000:.0f} ms after the insert"


async def test_waiting_claim_answers_204_when_the_wait_ends(worker: httpx.AsyncClient) -> None:
    started = time.monotonic()

    response = await worker.post("/process?wait=0.5")

    assert response.status_code == 204
    assert 0.5 <= time.monotonic() - started < 2


async def test_waiting_batch_claim_answers_an_empty_list_at_the_end(
    worker: httpx.AsyncClient,
) -> None:
    response = await worker.post("/process?wait=0.2&limit=5")

    assert (response.status_code, response.json()) == (200, {"jobs": []})


async def test_waiting_claim_picks_up_a_scheduled_job_when_it_comes_due(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    due = await db.fetchval("SELECT now() + interval '700 milliseconds'")
    await insert_jobs(db, scheduled_for=due.isoformat())

    response = await worker.post("/process?wait=5")
    claimed_at = await db.fetchval("SELECT claimed_at FROM jobs")

    assert response.status_code == 200
    assert claimed_at >= due


async def test_waiters_for_other_types_keep_waiting(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    report_waiter = asyncio.create_task(worker.post("/process?wait=1&types=report"))
    await claims_waiting_become(worker, 1)

    await insert_jobs(db, type="email")

    assert (await report_waiter).status_code == 204
    assert await db.fetchval("SELECT status FROM jobs") == "pending"


async def test_a_retried_job_wakes_waiters(
    worker: httpx.AsyncClient, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    [job_id] = await insert_jobs(db, status="failed", attempts=3, max_attempts=3)
    waiting = asyncio.create_task(worker.post("/process?wait=10"))
    await claims_waiting_become(worker, 1)

    await api.post(f"/jobs/{job_id}/retry")
    response = await asyncio.wait_for(waiting, 2)

    assert response.json()["id"] == job_id


async def test_a_runner_that_hangs_up_while_waiting_gets_nothing_claimed_for_it(
    worker: httpx.AsyncClient, worker_url: str, db: asyncpg.Connection
) -> None:
    async with httpx.AsyncClient(base_url=worker_url, headers=worker.headers) as doomed:
        waiting = asyncio.create_task(doomed.post("/process?wait=10&worker_id=gone"))
        await claims_waiting_become(worker, 1)
        waiting.cancel()  # the connection is closed mid-wait
    await claims_waiting_become(worker, 0)  # the service noticed, and stopped waiting

    await insert_jobs(db)
    # What is tested is that nothing happens: a claim that must not exist gets the time it
    # would need to happen (a woken waiter claims within milliseconds).
    await asyncio.sleep(0.5)

    assert await db.fetchval("SELECT status FROM jobs") == "pending"


async def test_abandoned_long_polls_do_not_hold_up_a_shutdown(
    database_url: str, tmp_path: Path, tokens: dict[Role, str]
) -> None:
    env = {"DATABASE_URL": database_url}
    with processes.uvicorn_server("worker_service.main:app", env, tmp_path / "service.log") as (
        url,
        service,
    ):
        async with httpx.AsyncClient(base_url=url, headers=bearer(tokens[Role.RUNNER])) as runner:
            waiting = [asyncio.create_task(runner.post("/process?wait=30")) for _ in range(3)]
            await claims_waiting_become(runner, 3)
            for request in waiting:
                request.cancel()  # the runner goes away mid-wait
        async with httpx.AsyncClient(base_url=url) as observer:
            await claims_waiting_become(observer, 0)

        started = time.monotonic()
        service.send_signal(signal.SIGTERM)
        await asyncio.to_thread(service.wait, 30)

    assert time.monotonic() - started < 5
