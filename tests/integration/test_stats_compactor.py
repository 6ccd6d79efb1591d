"""The stats compactor: a pass folds the rollups the triggers append and says what it removed."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from producer_api.db import create_engine
from producer_api.job_counts import TotalCounter
from producer_api.stats_compactor import StatsCompactor, StatsCompactorSettings
from producer_api.store import JobStore, StatsCompaction
from tests.factories import create_job


@asynccontextmanager
async def compactor_on(database_url: str) -> AsyncIterator[StatsCompactor]:
    """The producer's stats compactor, in this process, with its default settings."""
    engine = create_engine(database_url, pool_size=1)
    try:
        store = JobStore(engine, TotalCounter(exact_limit=10_000, timeout_ms=1_000))
        yield StatsCompactor(store, StatsCompactorSettings())
    finally:
        await engine.dispose()


@pytest.fixture
async def quiet_db(quiet_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(quiet_database_url)
    try:
        await connection.execute("TRUNCATE jobs, job_count_deltas, job_throughput_deltas CASCADE")
        yield connection
    finally:
        await connection.close()


async def test_stats_stay_right_after_the_rollups_are_compacted(
    api: httpx.AsyncClient, db: asyncpg.Connection, database_url: str
) -> None:
    for _ in range(5):
        await create_job(api)
    await db.execute("UPDATE jobs SET status = 'cancelled'")

    async with compactor_on(database_url) as compactor:
        await compactor.run_once()

    assert await db.fetchval("SELECT count(*) FROM job_count_deltas") == 1
    stats = (await api.get("/stats")).json()
    assert stats["by_status"]["cancelled"] == 5
    assert stats["by_status"]["pending"] == 0


async def test_a_pass_says_how_many_rows_it_folded_away(
    quiet_db: asyncpg.Connection, quiet_database_url: str
) -> None:
    for _ in range(5):
        await quiet_db.execute("INSERT INTO jobs (type, payload) VALUES ('email', '{}')")
    await quiet_db.execute("UPDATE jobs SET status = 'cancelled'")

    async with compactor_on(quiet_database_url) as compactor:
        first, second = await compactor.run_once(), await compactor.run_once()

    # Five inserts' rows and the update's two (pending -5, cancelled +5) fold into one.
    assert first == StatsCompaction(count_rows_removed=6, throughput_rows_removed=0)
    assert second == StatsCompaction(count_rows_removed=0, throughput_rows_removed=0)
    rows = await quiet_db.fetch("SELECT status, type, delta FROM job_count_deltas")
    assert [tuple(row) for row in rows] == [("cancelled", "email", 5)]


async def test_a_pass_folds_each_minute_once_and_forgets_old_minutes(
    quiet_db: asyncpg.Connection, quiet_database_url: str
) -> None:
    an_hour_ago = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    for completed_at in (an_hour_ago, an_hour_ago, an_hour_ago - timedelta(days=40)):
        await quiet_db.execute(
            "INSERT INTO jobs (type, payload, status, completed_at)"
            " VALUES ('email', '{}', 'completed', $1)",
            completed_at,
        )

    async with compactor_on(quiet_database_url) as compactor:
        compaction = await compactor.run_once()

    assert compaction == StatsCompaction(count_rows_removed=2, throughput_rows_removed=2)
    minutes = await quiet_db.fetch("SELECT minute, completed, failed FROM job_throughput_deltas")
    assert [tuple(row) for row in minutes] == [(an_hour_ago, 2, 0)]
