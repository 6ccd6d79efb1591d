"""Shared fixtures: a fresh PostgreSQL database per test run, and our services on loopback.

The server is DATABASE_URL's when set (a database is created there and dropped after),
else the embedded one in .data/pg.
"""

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from devstack.databases import migrated_database
from jobdeck_access.roles import Role
from jobdeck_db.settings import database_url as configured_database_url
from tests.access import bearer, create_tokens
from tests.servers import uvicorn_server

TABLES = (
    "jobs, job_events, job_artifacts, job_count_deltas, job_throughput_deltas, workers,"
    " job_type_rate_slots, job_type_rate_cursors, job_retired_counts, cleanup_runs,"
    " callback_deliveries, callback_attempts, alerts, job_analytics_deltas,"
    " job_analytics_histograms, job_created_hours, job_error_deltas, schedules"
)
# Job types are not truncated (the built-ins are the migration's rows): custom ones go, and
# the built-ins' controls are as installed.
RESET_JOB_TYPES = """
    DELETE FROM job_types WHERE NOT builtin;
    UPDATE job_types SET paused = false, concurrency = NULL, key_concurrency = NULL,
        rate_limit_jobs = NULL, rate_limit_seconds = NULL, timeout_seconds = NULL,
        default_max_attempts = NULL
    WHERE builtin AND (paused OR num_nonnulls(concurrency, key_concurrency, rate_limit_jobs,
        timeout_seconds, default_max_attempts) > 0);
"""
UNIT_TESTS = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that talks to PostgreSQL starts from empty tables; unit tests need none."""
    for item in items:
        if not item.path.is_relative_to(UNIT_TESTS):
            item.fixturenames.insert(0, "clean_db")  # first: before fixtures that add rows


@pytest.fixture(scope="session")
def server_url() -> str:
    """The server under test, pointing at its maintenance database."""
    return configured_database_url(os.environ.get("DATABASE_URL"))


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A new, migrated database for this run, dropped at the end."""
    with migrated_database(server_url, "jobdeck_test") as url:
        yield url


@pytest.fixture(scope="session")
def producer_url(database_url: str) -> Iterator[str]:
    """The producer API, with its own settings: tests that need the stats compacted run
    `StatsCompactor.run_once()` themselves. It trusts a token's check for a tenth of a second,
    not the default 5 s, so a test that revokes a token sees its sessions end without waiting
    out a cache (the cache itself is tested in process, tests/integration/test_tokens.py)."""
    env = {"DATABASE_URL": database_url, "TOKEN_CACHE_SECONDS": "0.1"}
    with uvicorn_server("producer_api.main:app", env) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def worker_url(database_url: str) -> Iterator[str]:
    """The worker service. Its own rescuer, scheduler and alert evaluator wait an hour between
    passes (as its stale-runner sweeper does anyway), and it delivers no callbacks (a NOTIFY
    would wake its deliverer): tests run `run_once()` themselves, so rescues, firings,
    deliveries and alerts happen exactly when a test says."""
    env = {
        "DATABASE_URL": database_url,
        "RESCUE_INTERVAL_SECONDS": "3600",
        "SCHEDULER_INTERVAL_SECONDS": "3600",
        "CALLBACK_IN_SERVICE": "false",
        "ALERT_INTERVAL_SECONDS": "3600",
    }
    with uvicorn_server("worker_service.main:app", env) as base_url:
        yield base_url


@pytest.fixture(scope="session")
async def tokens(database_url: str) -> dict[Role, str]:
    """A token of each role, for the whole run (clean_db leaves api_tokens alone)."""
    return await create_tokens(database_url)


@pytest.fixture
async def worker(worker_url: str, tokens: dict[Role, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The worker service, as a runner calls it."""
    headers = bearer(tokens[Role.RUNNER])
    async with httpx.AsyncClient(base_url=worker_url, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture
def as_viewer(tokens: dict[Role, str]) -> dict[str, str]:
    """Headers for a read-only call (the worker service's /workers and /stats, say)."""
    return bearer(tokens[Role.VIEWER])


@pytest.fixture
async def api(producer_url: str, tokens: dict[Role, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The producer API, as an admin calls it (every route but the worker protocol)."""
    headers = bearer(tokens[Role.ADMIN])
    async with httpx.AsyncClient(base_url=producer_url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection, to arrange rows and check what the services wrote."""
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


# DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE gives every table new files
# (63 ms per test for these tables on PostgreSQL 15, against under 1 ms for DELETE), which
# was minutes of each suite run. `jobs` goes first: its rows take their events, artifacts,
# search rows and deliveries with them (ON DELETE CASCADE), and the rollup rows its triggers
# write for the deletion go with their tables after it.
# One string, so one round trip (a simple query runs every statement in it) before each of
# the suite's ~1,800 database tests.
CLEAN = "; ".join(f"DELETE FROM {table.strip()}" for table in TABLES.split(",")) + ";"
CLEAN_AND_RESET = CLEAN + RESET_JOB_TYPES


@pytest.fixture
async def clean_db(db: asyncpg.Connection) -> asyncpg.Connection:
    await db.execute(CLEAN_AND_RESET)
    return db
