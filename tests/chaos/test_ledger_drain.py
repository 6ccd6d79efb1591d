"""Scenario 1: a queue drained by 8 runner processes through two worker services, some jobs
failing and retrying; the ledger proves each job completed once and each attempt was claimed
once, and none was lost."""

import time
from functools import partial

import asyncpg
import pytest

from tests.chaos.conftest import FIGURES, Figure, Fleet, insert_chaos_jobs, sized
from tests.chaos.ledger import audit
from tests.eventually import value_becomes

pytestmark = pytest.mark.chaos

RUNNERS = 8
COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"


async def test_every_job_completes_exactly_once_through_two_services(
    chaos_workers: list[str], fleet: Fleet, db: asyncpg.Connection
) -> None:
    jobs = sized(ci=1_500, big=10_000)
    # Every 10th job fails its first attempt, every 50th its first two.
    await insert_chaos_jobs(db, jobs, fail_once_every=10, fail_twice_every=50)
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
