"""Scenario 7 (its zone half): a database whose default zone is Pacific/Chatham (+13:45) and a
runner whose local zone is Pacific/Kiritimati (+14): back-offs and schedules still follow the
database's clock, to the second. (The runner reads no wall clock at all: its leases run on its
monotonic clock, see worker_service/runner/leases.py and tests/unit/test_runner_leases.py.)"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from functools import partial

import asyncpg
import pytest

from devstack.databases import migrated_database
from jobdeck_access.roles import Role
from jobdeck_db import urls
from tests.access import create_tokens
from tests.chaos.conftest import (
    Fleet,
    backing_off_worker,
    insert_chaos_jobs,
    register_chaos_type,
)
from tests.chaos.handlers import JOB_TYPE
from tests.chaos.ledger import audit
from tests.eventually import value_becomes

pytestmark = pytest.mark.chaos

DATABASE_ZONE = "Pacific/Chatham"
RUNNER_ZONE = "Pacific/Kiritimati"
RETRY_BASE_DELAY = 1.0  # ±20 % jitter: at least 0.8 s
SCHEDULED_IN = timedelta(seconds=2)
COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"


@pytest.fixture(scope="module")
def zoned_database_url(server_url: str) -> Iterator[str]:
    with migrated_database(server_url, "jobdeck_chaos_zone") as url:
        name = urls.database_name(url)

        async def set_zone() -> None:
            connection = await asyncpg.connect(url)
            await connection.execute(f"ALTER DATABASE \"{name}\" SET timezone TO '{DATABASE_ZONE}'")
            await register_chaos_type(connection)
            await connection.close()

        asyncio.run(set_zone())
        yield url


@pytest.fixture(scope="module")
def zoned_worker_url(zoned_database_url: str) -> Iterator[str]:
    with backing_off_worker(zoned_database_url, RETRY_BASE_DELAY) as url:
        yield url


@pytest.fixture
async def zoned_db(zoned_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(zoned_database_url)
    assert await connection.fetchval("SHOW timezone") == DATABASE_ZONE  # the premise holds
    yield connection
    await connection.close()


async def test_back_offs_and_schedules_follow_the_database_clock_in_any_zone(
    zoned_worker_url: str,
    zoned_database_url: str,
    zoned_db: asyncpg.Connection,
    fleet: Fleet,
) -> None:
    fleet.token = (await create_tokens(zoned_database_url, prefix="zone"))[Role.RUNNER]
    await insert_chaos_jobs(zoned_db, 10, fail_once_every=1)  # each fails once, then retries
    await zoned_db.execute(
        """INSERT INTO jobs (type, payload, scheduled_for)
           SELECT $1, '{}', now() + $2::interval FROM generate_series(1, 5)""",
        JOB_TYPE,
        SCHEDULED_IN,
    )
    fleet.start(zoned_worker_url, "--concurrency", "4", tz=RUNNER_ZONE)

    await value_becomes(partial(zoned_db.fetchval, COMPLETED), 15, seconds=60)
    assert await fleet.stop_all() == [0]

    # Each retry was claimed no sooner than its back-off allowed, by the database's clock.
    waits = await zoned_db.fetch(
        """SELECT extract(epoch FROM retried.at - failed.at)::float8 AS waited
           FROM job_events AS failed
           JOIN job_events AS retried ON retried.job_id = failed.job_id
                AND retried.kind = 'claimed' AND retried.attempt = 2
           WHERE failed.kind = 'retry_scheduled'"""
    )
    assert len(waits) == 10
    assert min(row["waited"] for row in waits) >= RETRY_BASE_DELAY * 0.8
    # And no scheduled job was claimed before its time.
    early = await zoned_db.fetchval(
        """SELECT count(*) FROM jobs JOIN job_events AS e ON e.job_id = jobs.id
           WHERE jobs.scheduled_for IS NOT NULL AND jobs.attempts = 1
             AND e.kind = 'claimed' AND e.at < jobs.scheduled_for"""
    )
    assert early == 0
    (await audit(zoned_db, fleet.run_log)).assert_sound()
