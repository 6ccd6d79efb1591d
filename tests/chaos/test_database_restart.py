"""Scenario 2: PostgreSQL stopped and started again (fast, and immediate: a crash) while
runners drain a queue through two worker services. Meanwhile the services answer 503; once it
is back they recover by themselves within 10 s, the runners carry on, and the ledger holds."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from functools import partial

import asyncpg
import httpx
import pytest

from devstack.databases import migrated_database
from jobdeck_access.roles import Role
from tests.access import bearer, create_tokens
from tests.chaos.conftest import (
    FIGURES,
    WORKER_ENV,
    Figure,
    Fleet,
    insert_chaos_jobs,
    register_chaos_type,
    sized,
)
from tests.chaos.ledger import audit
from tests.chaos.restartable import RestartableServer, StopMode, restartable_server
from tests.eventually import eventually
from tests.servers import uvicorn_server

pytestmark = pytest.mark.chaos

RECOVER_WITHIN_SECONDS = 10
COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"


@pytest.fixture(scope="module")
def restartable(server_url: str) -> Iterator[RestartableServer]:
    with restartable_server(server_url) as server:
        yield server


@pytest.fixture(scope="module")
def restart_database_url(restartable: RestartableServer) -> Iterator[str]:
    with migrated_database(restartable.url, "jobdeck_chaos_restart") as url:
        yield url


@pytest.fixture(scope="module")
def restart_workers(restart_database_url: str) -> Iterator[list[str]]:
    env = {"DATABASE_URL": restart_database_url, **WORKER_ENV}
    with (
        uvicorn_server("worker_service.main:app", env) as first,
        uvicorn_server("worker_service.main:app", env) as second,
    ):
        yield [first, second]


@pytest.fixture
async def restart_db(restart_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A clean slate with the chaos type registered (this database is not the suite's)."""
    connection = await asyncpg.connect(restart_database_url)
    await connection.execute("TRUNCATE jobs, job_events, workers CASCADE")
    await register_chaos_type(connection)
    yield connection
    await connection.close()


async def healths(services: list[httpx.AsyncClient]) -> list[int]:
    answers = []
    for service in services:
        try:
            answers.append((await service.get("/healthz")).status_code)
        except httpx.TransportError:
            answers.append(0)
    return answers


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_a_database_restart_under_load_loses_nothing_and_needs_no_service_restart(
    restartable: RestartableServer,
    restart_workers: list[str],
    restart_database_url: str,
    restart_db: asyncpg.Connection,
    fleet: Fleet,
    mode: StopMode,
) -> None:
    fleet.token = (await create_tokens(restart_database_url, prefix=f"restart-{mode}"))[Role.RUNNER]
    jobs = sized(ci=300, big=5_000)
    await insert_chaos_jobs(restart_db, jobs, sleep_ms=10, fail_once_every=9, max_attempts=5)
    await restart_db.close()
    headers = bearer(fleet.token)
    services = [
        httpx.AsyncClient(base_url=url, headers=headers, timeout=10) for url in restart_workers
    ]
    started = time.monotonic()
    for index in range(4):
        fleet.start(restart_workers[index % 2], "--concurrency", "8")

    async def completed() -> int:
        connection = await asyncpg.connect(restart_database_url)
        try:
            count: int = await connection.fetchval(COMPLETED)
            return count
        finally:
            await connection.close()

    await eventually(completed, until=lambda done: done >= jobs // 5, seconds=sized(60, 120))
    await asyncio.to_thread(restartable.stop, mode)
    while_down = await healths(services)
    claim_while_down = await services[0].post("/process")
    await asyncio.to_thread(restartable.start)
    back = time.monotonic()
    await eventually(partial(healths, services), until=lambda codes: codes == [200, 200])
    recovered_in = time.monotonic() - back
    await eventually(completed, until=lambda done: done == jobs, seconds=sized(90, 300))
    took = time.monotonic() - started
    exits = await fleet.stop_all()
    for service in services:
        await service.aclose()

    assert while_down == [503, 503]
    assert claim_while_down.status_code == 503
    assert recovered_in < RECOVER_WITHIN_SECONDS
    assert exits == [0] * 4  # the same runners carried on
    connection = await asyncpg.connect(restart_database_url)
    try:
        ledger = await audit(connection, fleet.run_log)
    finally:
        await connection.close()
    # An immediate stop is a crash: claims committed in its last moments (asynchronously, see
    # README: Durability) are lost, and their jobs run again under the same attempt number.
    # Fencing still lets only one of the two runs complete the job.
    ledger.assert_sound(reruns_allowed=mode == "immediate")
    FIGURES.append(
        Figure(
            f"2 PostgreSQL restart ({mode})",
            "1 stop and start",
            ledger,
            f"{recovered_in:.1f} s",
            took,
        )
    )
