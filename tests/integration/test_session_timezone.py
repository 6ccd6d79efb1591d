"""A database whose default zone is not UTC (Pacific/Chatham: +13:45, a quarter past the hour
and a day ahead) changes nothing: every connection the services open works in UTC, so the
throughput buckets and the report days stay on UTC's hours and days."""

import asyncio
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from devstack.databases import migrated_database
from jobdeck_access.roles import Role
from jobdeck_access.store import create_token_pool
from jobdeck_db import urls
from producer_api.db import create_engine
from tests.access import bearer, create_tokens
from tests.factories import insert_jobs
from tests.servers import uvicorn_server
from worker_service.store import create_pool
from worker_service.wakeups import JobsPendingListener

ZONE = "Pacific/Chatham"


@pytest.fixture(scope="module")
def chatham_url(server_url: str) -> Iterator[str]:
    """A migrated database whose sessions start in Pacific/Chatham unless they say otherwise."""
    with migrated_database(server_url, "jobdeck_chatham") as url:
        name = urls.database_name(url)
        asyncio.run(_execute(server_url, f"ALTER DATABASE \"{name}\" SET timezone = '{ZONE}'"))
        yield url


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def chatham_tokens(chatham_url: str) -> dict[Role, str]:
    return asyncio.run(create_tokens(chatham_url))


@pytest.fixture(scope="module")
def chatham_producer(chatham_url: str) -> Iterator[str]:
    with uvicorn_server("producer_api.main:app", {"DATABASE_URL": chatham_url}) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def chatham_worker(chatham_url: str) -> Iterator[str]:
    with uvicorn_server("worker_service.main:app", {"DATABASE_URL": chatham_url}) as base_url:
        yield base_url


@pytest.fixture
async def chatham_db(chatham_url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(chatham_url, server_settings={"timezone": "UTC"})
    await connection.execute("TRUNCATE jobs, job_count_deltas, job_throughput_deltas CASCADE")
    yield connection
    await connection.close()


async def test_the_database_really_starts_sessions_elsewhere(chatham_url: str) -> None:
    connection = await asyncpg.connect(chatham_url)
    try:
        assert await connection.fetchval("SHOW timezone") == ZONE
    finally:
        await connection.close()


async def test_every_connection_the_services_open_is_in_utc(chatham_url: str) -> None:
    durable = await create_pool(chatham_url, 1, durable=True)
    fast = await create_pool(chatham_url, 1, durable=False)
    tokens = await create_token_pool(chatham_url)
    listener = JobsPendingListener(chatham_url)
    await listener.start()
    engine = create_engine(chatham_url, 1)
    try:
        async with engine.connect() as producer:
            producer_zone = (await producer.exec_driver_sql("SHOW timezone")).scalar()
        assert listener._connection is not None  # the LISTEN connection, started above
        zones = {
            "worker service (durable)": await durable.fetchval("SHOW timezone"),
            "worker service (fast)": await fast.fetchval("SHOW timezone"),
            "tokens": await tokens.fetchval("SHOW timezone"),
            "listener": await listener._connection.fetchval("SHOW timezone"),
            "producer API": producer_zone,
        }
    finally:
        await listener.stop()
        await asyncio.gather(durable.close(), fast.close(), tokens.close())
        await engine.dispose()

    assert zones == dict.fromkeys(zones, "UTC")


async def test_throughput_buckets_start_on_the_utc_hour(
    chatham_producer: str, chatham_tokens: dict[Role, str], chatham_db: asyncpg.Connection
) -> None:
    finished = await chatham_db.fetchval(
        "SELECT date_trunc('hour', now()) - interval '10 minutes'"
    )  # 50 minutes past the previous UTC hour
    await insert_jobs(chatham_db, status="completed", attempts=1, completed_at=finished)

    async with httpx.AsyncClient(
        base_url=chatham_producer, headers=bearer(chatham_tokens[Role.VIEWER])
    ) as api:
        throughput = (await api.get("/stats?window=24h")).json()["throughput"]

    assert all(bucket["bucket"].endswith(":00:00Z") for bucket in throughput), throughput
    counted = {
        bucket["bucket"]: bucket["completed"] for bucket in throughput if bucket["completed"]
    }
    previous_hour = finished.replace(minute=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert counted == {previous_hour: 1}


async def test_report_days_are_utc_days(
    chatham_worker: str, chatham_tokens: dict[Role, str], chatham_db: asyncpg.Connection
) -> None:
    # 11:30 UTC on 10 March is already 11 March in Chatham.
    await insert_jobs(
        chatham_db, status="completed", attempts=1, completed_at="2026-03-10T11:30:00Z"
    )

    async with httpx.AsyncClient(
        base_url=chatham_worker, headers=bearer(chatham_tokens[Role.RUNNER])
    ) as worker:
        report = await worker.get("/report-data/throughput?start=2026-03-10&end=2026-03-10")

    assert report.json()["rows"] == [{"day": "2026-03-10T00:00:00Z", "completed": 1, "failed": 0}]
