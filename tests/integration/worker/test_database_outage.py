"""The services ride out a database restart under load: 503s meanwhile, no job lost."""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from jobdeck_access.roles import Role
from jobdeck_db import embedded
from tests.access import bearer
from tests.eventually import eventually, value_becomes
from tests.factories import insert_jobs, notification_job
from tests.integration.worker.conftest import claims_waiting_become, gauge
from tests.netproxy import DatabaseProxy
from tests.servers import uvicorn_server
from worker_service.rescuer import Rescuer


@pytest.fixture(scope="module")
def proxy(database_url: str) -> Iterator[DatabaseProxy]:
    proxy = DatabaseProxy(database_url)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def proxied_urls(proxy: DatabaseProxy) -> Iterator[tuple[str, str]]:
    """A worker service and producer API that reach PostgreSQL only through the proxy."""
    env = {"DATABASE_URL": proxy.url, "RESCUE_INTERVAL_SECONDS": "3600"}
    with (
        uvicorn_server("worker_service.main:app", env) as worker_url,
        uvicorn_server("producer_api.main:app", env) as producer_url,
    ):
        yield worker_url, producer_url


@pytest.fixture
async def clients(
    proxied_urls: tuple[str, str], tokens: dict[Role, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    worker_url, producer_url = proxied_urls
    runner, admin = bearer(tokens[Role.RUNNER]), bearer(tokens[Role.ADMIN])
    async with (
        httpx.AsyncClient(base_url=worker_url, headers=runner, timeout=30) as worker,
        httpx.AsyncClient(base_url=producer_url, headers=admin, timeout=30) as api,
    ):
        yield worker, api


async def drain(worker: httpx.AsyncClient, seen: list[int], until: asyncio.Event) -> None:
    """Claim and acknowledge in batches, riding out errors, until told to stop."""
    while not until.is_set():
        try:
            claim = await worker.post("/process?limit=10&wait=0.2")
            seen.append(claim.status_code)
            if claim.status_code != 200 or not claim.json()["jobs"]:
                await asyncio.sleep(0.05)  # a runner's back-off before it asks again
                continue
            acks = [{"id": job["id"], "attempt": job["attempts"]} for job in claim.json()["jobs"]]
            seen.append((await worker.post("/complete", json={"jobs": acks})).status_code)
        except httpx.TransportError:
            await asyncio.sleep(0.05)


async def wait_until_healthy(client: httpx.AsyncClient) -> None:
    async def health() -> int:
        return (await client.get("/healthz")).status_code

    await value_becomes(health, 200, seconds=10)


async def listening_becomes(worker: httpx.AsyncClient, value: int) -> None:
    """Until the service's LISTEN connection is up (1) or lost (0)."""

    async def listening() -> float | None:
        return await gauge(worker, "jobdeck_wakeups_listening")

    await value_becomes(listening, value)


async def test_connections_cut_under_load_cost_no_job(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    proxy: DatabaseProxy,
    db: asyncpg.Connection,
    rescuer: Rescuer,
) -> None:
    worker, api = clients
    await insert_jobs(db, 600)
    seen: list[int] = []
    stop = asyncio.Event()
    claimers = [asyncio.create_task(drain(worker, seen, stop)) for _ in range(4)]

    async def jobs_completed() -> int:
        return int(await db.fetchval("SELECT count(*) FROM jobs WHERE status = 'completed'"))

    await eventually(jobs_completed)  # the load is under way
    proxy.cut()  # the database "goes away" mid-load
    during = [(await worker.get("/healthz")).status_code, (await api.get("/jobs")).status_code]
    await asyncio.sleep(0.5)  # an outage is a span of time: the claimers keep trying through it
    proxy.restore()
    await wait_until_healthy(worker)
    await wait_until_healthy(api)

    async def rescue_lost_claims() -> int:
        """A claim that committed just as its connection died never reached a runner: its
        lease is what brings it back. Expire the leases of jobs claimed over a second ago
        (the claimers finish theirs within milliseconds) rather than wait a minute for them."""
        await db.execute(
            """UPDATE jobs SET locked_until = now() - interval '1 second'
               WHERE status = 'processing' AND claimed_at < now() - interval '1 second'"""
        )
        await rescuer.run_once()
        return await jobs_completed()

    await eventually(rescue_lost_claims, until=lambda completed: completed == 600, every=0.2)
    stop.set()
    await asyncio.gather(*claimers)

    assert during == [503, 503]
    assert 500 not in seen
    assert await db.fetchval("SELECT count(*) FROM jobs WHERE status = 'completed'") == 600
    assert await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'completed'") == 600


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="stops and starts the embedded server; with DATABASE_URL the proxy test covers it",
)
async def test_services_recover_after_the_embedded_server_restarts(
    worker: httpx.AsyncClient, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await asyncio.to_thread(embedded.stop)
    down = [(await worker.get("/healthz")).status_code, (await api.get("/healthz")).status_code]
    await asyncio.to_thread(embedded.start)

    await wait_until_healthy(worker)
    await wait_until_healthy(api)
    created = await api.post("/jobs", json=notification_job(payload={"channel": "sms"}))
    claimed = await worker.post("/process")

    assert down == [503, 503]
    assert created.status_code == 201
    assert claimed.json()["id"] == created.json()["id"]


async def test_long_polls_are_woken_again_after_the_listen_connection_was_cut(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    proxy: DatabaseProxy,
    db: asyncpg.Connection,
) -> None:
    worker, _api = clients
    proxy.cut()
    await listening_becomes(worker, 0)
    proxy.restore()
    await wait_until_healthy(worker)
    await listening_becomes(worker, 1)  # the listener reconnects with back-off of its own

    waiting = asyncio.create_task(worker.post("/process?wait=20"))
    await claims_waiting_become(worker, 1)
    started = asyncio.get_running_loop().time()
    await insert_jobs(db)
    response = await waiting

    assert response.status_code == 200
    assert asyncio.get_running_loop().time() - started < 1  # a NOTIFY, not the 20 s timeout
