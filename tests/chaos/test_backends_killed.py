"""Scenario 3: every connection the worker services hold, their LISTEN connections among them,
killed with pg_terminate_backend every 2 s while runners drain a queue. Nothing is lost or done
twice, and afterwards a long-poll is still woken by a new job at once (a NOTIFY, not its end)."""

import asyncio
import time
from collections.abc import AsyncIterator
from functools import partial

import asyncpg
import httpx
import pytest

from jobdeck_access.roles import Role
from tests.access import bearer
from tests.chaos.conftest import FIGURES, Figure, Fleet, insert_chaos_jobs, sized
from tests.chaos.handlers import JOB_TYPE
from tests.chaos.ledger import audit
from tests.eventually import value_becomes
from tests.factories import insert_jobs
from tests.integration.worker.conftest import claims_waiting_become, gauge

pytestmark = pytest.mark.chaos

KILL_EVERY_SECONDS = 2
# The services' connections, by the application_name each pool and the listener give.
KILL = """
    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS killed,
           count(*) FILTER (WHERE application_name LIKE '%listener') AS listeners
    FROM pg_stat_activity
    WHERE datname = current_database() AND application_name LIKE 'jobdeck-worker-service%'
"""
COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"
# What the test allows a wake-up on this busy machine; the figure itself is reported.
WAKE_WITHIN_SECONDS = 1.0


@pytest.fixture
async def services(
    chaos_workers: list[str], tokens: dict[Role, str]
) -> AsyncIterator[list[httpx.AsyncClient]]:
    headers = bearer(tokens[Role.RUNNER])
    clients = [
        httpx.AsyncClient(base_url=url, headers=headers, timeout=60) for url in chaos_workers
    ]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


async def kill_backends(db: asyncpg.Connection, seconds: float) -> tuple[int, int, int]:
    """Kill the services' connections every KILL_EVERY_SECONDS for `seconds`, the last kill
    at its end: (rounds, connections killed, LISTEN connections among them)."""
    rounds = killed = listeners = 0
    deadline = time.monotonic() + seconds
    while True:
        row = await db.fetchrow(KILL)
        rounds, killed, listeners = rounds + 1, killed + row["killed"], listeners + row["listeners"]
        if time.monotonic() + KILL_EVERY_SECONDS > deadline:
            return rounds, killed, listeners
        await asyncio.sleep(KILL_EVERY_SECONDS)  # the fault's own rhythm, not a wait for a result


async def listening_again(worker: httpx.AsyncClient) -> None:
    async def listening() -> float | None:
        return await gauge(worker, "jobdeck_wakeups_listening")

    await value_becomes(listening, 1)


async def wake_up_seconds(worker: httpx.AsyncClient, db: asyncpg.Connection) -> float:
    """How long a waiting long-poll takes to answer once a job is created."""
    waiting = asyncio.create_task(worker.post(f"/process?wait=20&types={JOB_TYPE}"))
    await claims_waiting_become(worker, 1)
    started = time.monotonic()
    await insert_jobs(db, type=JOB_TYPE, payload="{}")
    response = await waiting
    assert response.status_code == 200
    return time.monotonic() - started


async def test_killed_connections_cost_no_job_and_long_polls_still_wake_at_once(
    services: list[httpx.AsyncClient], fleet: Fleet, db: asyncpg.Connection
) -> None:
    jobs = sized(ci=600, big=5_000)
    await insert_chaos_jobs(db, jobs, sleep_ms=10, fail_once_every=7, max_attempts=5)
    started = time.monotonic()
    for index in range(4):
        fleet.start(str(services[index % 2].base_url), "--concurrency", "8")

    rounds, killed, listeners = await kill_backends(db, seconds=sized(6, 30))
    last_kill = time.monotonic()
    for worker in services:
        await listening_again(worker)
    recovered_in = time.monotonic() - last_kill
    await value_becomes(partial(db.fetchval, COMPLETED), jobs, seconds=sized(90, 300))
    took = time.monotonic() - started
    assert await fleet.stop_all() == [0] * 4

    assert listeners >= rounds  # every round found the LISTEN connections back, and killed them
    ledger = await audit(db, fleet.run_log)
    ledger.assert_sound()
    wake_ups = [await wake_up_seconds(worker, db) for worker in services]
    assert max(wake_ups) < WAKE_WITHIN_SECONDS, wake_ups
    FIGURES.append(
        Figure(
            "3 backends killed",
            f"{killed} connections killed in {rounds} rounds",
            ledger,
            f"{recovered_in:.1f} s (then wake-ups in {max(wake_ups) * 1000:.0f} ms)",
            took,
        )
    )
