"""Shared fixtures: a fresh PostgreSQL database per test run, and our services on loopback.

The server is DATABASE_URL's when set (a database is created there and dropped after),
else the embedded one in .data/pg.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from alembic import command
from jobdeck_db import urls
from jobdeck_db.migrations import alembic_config
from jobdeck_db.settings import database_url as configured_database_url
from tests.servers import uvicorn_server

TABLES = "jobs, job_events, job_artifacts, job_count_deltas, job_throughput_deltas, workers"


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> str:
    """The server under test, pointing at its maintenance database."""
    return configured_database_url(os.environ.get("DATABASE_URL"))


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A new, migrated database for this run, dropped at the end."""
    name = f"jobdeck_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    url = urls.with_database(server_url, name)
    try:
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def producer_url(database_url: str) -> Iterator[str]:
    env = {"DATABASE_URL": database_url, "STATS_COMPACT_INTERVAL_SECONDS": "0.5"}
    with uvicorn_server("producer_api.main:app", env) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def worker_url(database_url: str) -> Iterator[str]:
    """The worker service. Its own rescuer waits an hour between passes: tests run
    `Rescuer.run_once()` themselves, so rescues happen exactly when a test says."""
    env = {"DATABASE_URL": database_url, "RESCUE_INTERVAL_SECONDS": "3600"}
    with uvicorn_server("worker_service.main:app", env) as base_url:
        yield base_url


@pytest.fixture
async def worker(worker_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=worker_url, timeout=60) as client:
        yield client


@pytest.fixture
async def api(producer_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=producer_url, timeout=30) as client:
        yield client


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection, to arrange rows and check what the services wrote."""
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def clean_db(db: asyncpg.Connection) -> asyncpg.Connection:
    await db.execute(f"TRUNCATE {TABLES} CASCADE")
    return db
