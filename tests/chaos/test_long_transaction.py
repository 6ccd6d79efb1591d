"""Scenario 6: a session holding a snapshot open (REPEATABLE READ, idle in transaction) while
runners work through a queue kept full. Dead rows cannot be vacuumed meanwhile, so claims
walk over more of them: throughput may drop, but nothing breaks, and it recovers once the
snapshot goes. The three rates (before, during, after) are the scenario's figures."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from functools import partial

import asyncpg
import pytest

from tests.chaos.conftest import FIGURES, Figure, Fleet, sized
from tests.chaos.handlers import JOB_TYPE
from tests.chaos.ledger import audit
from tests.eventually import eventually, value_becomes

pytestmark = pytest.mark.chaos

WINDOW_SECONDS = sized(2, 60)
BACKLOG = 400  # pending jobs the feeder keeps, so the runners never run dry
COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"
PENDING = "SELECT count(*) FROM jobs WHERE status = 'pending'"
UNFINISHED = "SELECT count(*) FROM jobs WHERE status NOT IN ('completed', 'failed')"


@contextlib.asynccontextmanager
async def queue_kept_full(database_url: str) -> AsyncIterator[None]:
    """Tops the queue up to BACKLOG pending jobs whenever it falls below half of it."""
    connection = await asyncpg.connect(database_url)

    async def feed() -> None:
        while True:
            if await connection.fetchval(PENDING) < BACKLOG // 2:
                await connection.execute(
                    "INSERT INTO jobs (type, payload) SELECT $1, '{}' FROM generate_series(1, $2)",
                    JOB_TYPE,
                    BACKLOG,
                )
            await asyncio.sleep(0.1)  # the feeder's own pace

    feeder = asyncio.create_task(feed())
    try:
        yield
    finally:
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeder
        await connection.close()


async def completions_per_second(db: asyncpg.Connection) -> float:
    """Jobs completed per second over one window."""
    before, started = await db.fetchval(COMPLETED), time.monotonic()
    await asyncio.sleep(WINDOW_SECONDS)  # the measuring window itself
    return float(await db.fetchval(COMPLETED) - before) / (time.monotonic() - started)


async def test_a_long_transaction_slows_the_queue_but_breaks_nothing(
    chaos_workers: list[str], fleet: Fleet, db: asyncpg.Connection, database_url: str
) -> None:
    started = time.monotonic()
    async with queue_kept_full(database_url):
        for index in range(4):
            fleet.start(chaos_workers[index % 2], "--concurrency", "8", "--batch-size", "4")
        await eventually(partial(db.fetchval, COMPLETED))  # the runners are up and working
        before = await completions_per_second(db)
        holder = await asyncpg.connect(database_url)
        try:
            snapshot = holder.transaction(isolation="repeatable_read")
            await snapshot.start()
            await holder.fetchval("SELECT count(*) FROM jobs")  # the snapshot is taken here
            during = await completions_per_second(db)
            await snapshot.rollback()
        finally:
            await holder.close()
        after = await completions_per_second(db)
    await value_becomes(partial(db.fetchval, UNFINISHED), 0, seconds=sized(60, 300))
    took = time.monotonic() - started
    assert await fleet.stop_all() == [0] * 4

    ledger = await audit(db, fleet.run_log)
    ledger.assert_sound()
    assert min(before, during, after) > 0  # slowed, perhaps, but never stopped
    FIGURES.append(
        Figure(
            "6 long transaction",
            f"a snapshot held {WINDOW_SECONDS} s: {before:.0f} → {during:.0f} → {after:.0f} jobs/s",
            ledger,
            "-",
            took,
        )
    )
