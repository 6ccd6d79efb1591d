"""Scenario 5: a job whose handler kills its runner's process, every time it runs."""

import asyncio
from functools import partial

import asyncpg
import pytest

from tests.chaos.conftest import FIGURES, Figure, Fleet, sized
from tests.chaos.handlers import JOB_TYPE, POISON_EXIT_CODE
from tests.chaos.ledger import audit
from tests.eventually import value_becomes
from tests.factories import insert_jobs

pytestmark = pytest.mark.chaos

RUNNERS = 3
POISON_ATTEMPTS = 3
# In order: without it the rows come in the plan's order, which differs by server (PG 15 hashes).
STATUSES = "SELECT status, count(*) FROM jobs GROUP BY status ORDER BY status"


async def test_a_poison_pill_fails_after_its_attempts_and_takes_no_other_job_with_it(
    chaos_workers: list[str], fleet: Fleet, db: asyncpg.Connection
) -> None:
    jobs = sized(ci=150, big=2_000)
    # Others may be in flight beside it each time it strikes: they get more attempts than
    # it has, so they cannot run out of them by its doing.
    await insert_jobs(
        db, jobs, type=JOB_TYPE, payload='{"sleep_ms": 50}', max_attempts=POISON_ATTEMPTS + 2
    )
    [poison] = await insert_jobs(
        db, type=JOB_TYPE, payload='{"poison": true}', max_attempts=POISON_ATTEMPTS, priority=5
    )
    loop = asyncio.get_running_loop()
    started = loop.time()

    supervisors = [
        asyncio.create_task(fleet.keep_running(url, "--concurrency", "4"))
        for url in (chaos_workers * RUNNERS)[:RUNNERS]
    ]
    await value_becomes(
        partial(db.fetch, STATUSES),
        [("completed", jobs), ("failed", 1)],
        seconds=sized(90, 300),
    )
    took = loop.time() - started
    await fleet.stop_all()
    deaths = [code for died in await asyncio.gather(*supervisors) for code in died]

    assert deaths == [POISON_EXIT_CODE] * POISON_ATTEMPTS  # one runner per attempt, no more
    row = await db.fetchrow("SELECT attempts, error FROM jobs WHERE id = $1", poison)
    assert row["attempts"] == POISON_ATTEMPTS
    assert "expired" in row["error"]  # rescued each time: nobody was left to report it
    ledger = await audit(db, fleet.run_log)
    ledger.assert_sound(expect_failed=1)
    FIGURES.append(Figure("5 poison pill", f"{len(deaths)} runners killed", ledger, "-", took))
