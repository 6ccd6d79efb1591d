"""Scenario 1: a queue drained by 8 runner processes through two worker services, some jobs
failing and retrying; the ledger proves each job completed once and each attempt was claimed
once, and none was lost."""

import time
from functools import partial

import asyncpg
import pytest

from tests.chaos.conftest import FIGURES, Figure, Fleet, sized
from tests.chaos.handlers import JOB_TYPE
from tests.chaos.ledger import audit
from tests.eventually import value_becomes

pytestmark = pytest.mark.chaos

RUNNERS = 8
COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"


async def insert_chaos_jobs(db: asyncpg.Connection, count: int) -> None:
    """`count` jobs: every 10th fails its first attempt, every 50th its first two."""
    await db.execute(
        """
        INSERT INTO jobs (type, payload, max_attempts)
        SELECT $2, jsonb_build_object('n', n, 'fail_times',
                   CASE WHEN n % 50 = 0 THEN 2 WHEN n % 10 = 0 THEN 1 ELSE 0 END), 3
        FROM generate_series(1, $1) AS n
        """,
        count,
        JOB_TYPE,
    )


async def test_every_job_completes_exactly_once_through_two_services(
    chaos_workers: list[str], fleet: Fleet, db: asyncpg.Connection
) -> None:
    jobs = sized(ci=1_500, big=10_000)
    await insert_chaos_jobs(db, jobs)
    started = time.monotonic()

    for index in range(RUNNERS):
        fleet.start(chaos_workers[index % 2], "--concurrency", "8", "--batch-size", "4")
    await value_becomes(partial(db.fetchval, COMPLETED), jobs, seconds=sized(90, 300))
    took = time.monotonic() - started

    assert await fleet.stop_all() == [0] * RUNNERS
    ledger = await audit(db, fleet.run_log)
    ledger.assert_sound()
    retries = await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'retry_scheduled'")
    assert retries == jobs // 10 + jobs // 50  # every planned failure, once
    FIGURES.append(Figure("1 ledger drain", f"{retries} failed attempts", ledger, "-", took))
