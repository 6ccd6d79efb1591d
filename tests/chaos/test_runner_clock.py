"""Scenario 7 (its clock half): two real runner processes whose wall clocks are an hour off,
one ahead and one behind, under Debian's `faketime` (libfaketime, preloaded into the runner's
Python; the environment `faketime` would give it is set on the runner itself, so the runner
stays our child and SIGTERM reaches it: the `faketime` command does not pass signals on).
Leases, back-offs and completions still follow the database's clock: a job that outlives a
lease keeps it by heartbeats and is never rescued, each retry waits its back-off by the
database's clock (not an hour more or less), and every claim and completion is stamped with
the database's time.

`faketime` comes from Debian: `make test` and `make chaos` install it when missing (as root;
otherwise they say which command to run).
"""

import json
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

import asyncpg
import pytest

from tests.chaos.conftest import (
    FIGURES,
    LEASE_SECONDS,
    Figure,
    Fleet,
    backing_off_worker,
    insert_chaos_jobs,
    sized,
)
from tests.chaos.ledger import audit
from tests.eventually import value_becomes

pytestmark = pytest.mark.chaos

CLOCKS = {"+1h": timedelta(hours=1), "-1h": timedelta(hours=-1)}
RETRY_BASE_DELAY = 1.0  # ±20 % jitter: at least 0.8 s
RETRIED, LONG = sized(10, 200), sized(2, 10)
COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"


@pytest.fixture(scope="module")
def backing_off_worker_url(database_url: str) -> Iterator[str]:
    with backing_off_worker(database_url, RETRY_BASE_DELAY) as url:
        yield url


def faketime_env(offset: str) -> dict[str, str]:
    """What `faketime -f OFFSET` sets for the command it runs: the preloaded library and the
    offset (not its shared-memory clock, which lives only as long as that `faketime`)."""
    lines = subprocess.run(
        ["faketime", "-f", offset, "env"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    return {name.lower(): env[name] for name in ("LD_PRELOAD", "FAKETIME")}


def first_log_time(log: str) -> datetime:
    """When the runner's first log line says it was written, by the runner's own clock."""
    return datetime.fromisoformat(json.loads(log.splitlines()[0])["time"])


async def test_runners_an_hour_off_keep_to_the_database_clock(
    backing_off_worker_url: str, db: asyncpg.Connection, fleet: Fleet
) -> None:
    await insert_chaos_jobs(db, RETRIED, fail_once_every=1)  # each fails once, then retries
    # These outlive a lease: only heartbeats keep them from the rescuer.
    await insert_chaos_jobs(db, LONG, sleep_ms=int(LEASE_SECONDS * 1.5 * 1000))
    started_at: datetime = await db.fetchval("SELECT now()")
    runners = [
        fleet.start(
            backing_off_worker_url,
            "--concurrency",
            "3",
            log_level="INFO",
            log_format="json",
            **faketime_env(offset),
        )
        for offset in CLOCKS
    ]

    await value_becomes(partial(db.fetchval, COMPLETED), RETRIED + LONG, seconds=60)
    assert await fleet.stop_all() == [0, 0]
    finished_at: datetime = await db.fetchval("SELECT now()")

    # The premise: each runner's wall clock was off by its hour.
    for runner, offset in zip(runners, CLOCKS.values(), strict=True):
        skew = first_log_time(fleet.log(runner)) - started_at
        assert abs(skew - offset) < timedelta(minutes=1), skew

    # Leases: the long jobs were renewed by heartbeats, never rescued, done in one attempt.
    report = await audit(db, fleet.run_log)
    report.assert_sound()
    assert report.rescued == 0
    long_attempts = "SELECT max(attempts) FROM jobs WHERE payload->>'fail_times' = '0'"
    assert await db.fetchval(long_attempts) == 1
    # Back-offs: each retry was claimed after its delay by the database's clock, not an hour
    # off either way.
    waits = await db.fetch(
        """SELECT extract(epoch FROM retried.at - failed.at)::float8 AS waited
           FROM job_events AS failed
           JOIN job_events AS retried ON retried.job_id = failed.job_id
                AND retried.kind = 'claimed' AND retried.attempt = 2
           WHERE failed.kind = 'retry_scheduled'"""
    )
    assert len(waits) == RETRIED
    assert all(RETRY_BASE_DELAY * 0.8 <= row["waited"] < 60 for row in waits), waits
    # Completions and every event: stamped by the database, within the run.
    outside = await db.fetchval(
        """SELECT count(*) FROM jobs LEFT JOIN job_events AS e ON e.job_id = jobs.id
           WHERE jobs.completed_at NOT BETWEEN $1 AND $2 OR e.at NOT BETWEEN $1 AND $2""",
        started_at,
        finished_at,
    )
    assert outside == 0
    FIGURES.append(Figure("7 runner clocks ±1 h (faketime)", "2 clocks off", report, "-", None))
