"""The worker service's scheduler (SPEC, section Schedules): exactly one job per schedule and
fire time with two schedulers (each with its own pool, as two worker services have) racing
over minutes of fast-forwarded time; one catch-up job after downtime; disabled schedules wait.

The clock is injected: run_once() is driven pass by pass, never slept for."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.eventually import eventually
from tests.factories import create_schedule, custom_job, register_type, schedule
from tests.servers import uvicorn_server
from worker_service.scheduler import Scheduler, SchedulerSettings
from worker_service.store import WorkerStore, create_pool


class FastClock:
    """A clock the test moves on by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FastClock:
    return FastClock()


@pytest.fixture
async def schedulers(database_url: str, clock: FastClock) -> AsyncIterator[list[Scheduler]]:
    """Two schedulers, each on pools of its own (as two worker services), sharing the test's
    clock."""
    pools = [await create_pool(database_url, 2, durable=durable) for durable in (True, False) * 2]
    pairs = zip(pools[::2], pools[1::2], strict=True)
    stores = [WorkerStore(durable, fast, 60, 2, 300) for durable, fast in pairs]
    try:
        yield [Scheduler(store, SchedulerSettings(batch_size=100), clock) for store in stores]
    finally:
        await asyncio.gather(*(pool.close() for pool in pools))


async def scheduled_jobs(db: asyncpg.Connection, name: str) -> list[asyncpg.Record]:
    return await db.fetch(
        """SELECT j.id, j.schedule_fire_at, e.detail FROM jobs AS j
           JOIN job_events AS e ON e.job_id = j.id AND e.kind = 'created'
           WHERE j.schedule = $1 ORDER BY j.schedule_fire_at""",
        name,
    )


def whole_minutes_between(start: datetime, end: datetime) -> list[datetime]:
    minute = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    times = []
    while minute <= end:
        times.append(minute)
        minute += timedelta(minutes=1)
    return times


async def test_two_schedulers_make_exactly_one_job_per_fire_time(
    api: httpx.AsyncClient,
    db: asyncpg.Connection,
    schedulers: list[Scheduler],
    clock: FastClock,
) -> None:
    names = [f"every-minute-{i}" for i in range(10)]
    for name in names:
        await create_schedule(api, schedule(name=name, cron="* * * * *"))
    start = clock.now

    reported: list[Any] = []
    for _ in range(8 * 6):  # eight minutes, a pass of both every 10 s
        clock.advance(seconds=10)
        passes = await asyncio.gather(*(scheduler.run_once() for scheduler in schedulers))
        reported += [firing for fired in passes for firing in fired]

    expected = whole_minutes_between(start, clock.now)
    assert len(expected) >= 7
    for name in names:
        jobs = await scheduled_jobs(db, name)
        assert [job["schedule_fire_at"] for job in jobs] == expected, name
        assert all(job["detail"].startswith(f"schedule {name}, fire time ") for job in jobs)
    # Each firing is reported once, by whichever scheduler took it, and each made its job.
    assert len(reported) == len(names) * len(expected)
    assert all(firing.job_id is not None for firing in reported)


async def test_the_unique_key_refuses_a_second_job_for_the_same_fire_time(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await create_schedule(api)
    fire_at = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    insert = "SELECT id FROM schedule_job_insert('digest', $1, 'fired', 3)"

    first = await db.fetchval(insert, fire_at)
    second = await db.fetchval(insert, fire_at)

    assert first is not None
    assert second is None
    assert len(await scheduled_jobs(db, "digest")) == 1


async def test_after_downtime_the_missed_times_make_one_catch_up_job(
    api: httpx.AsyncClient,
    db: asyncpg.Connection,
    schedulers: list[Scheduler],
    clock: FastClock,
) -> None:
    await create_schedule(api, schedule(cron="*/5 * * * *"))
    clock.advance(hours=2)  # nothing ran for two hours: 24 fire times went by

    fired = await schedulers[0].run_once()
    again = await schedulers[1].run_once()

    jobs = await scheduled_jobs(db, "digest")
    assert len(jobs) == 1
    latest = clock.now.replace(
        minute=clock.now.minute - clock.now.minute % 5, second=0, microsecond=0
    )
    assert jobs[0]["schedule_fire_at"] == latest
    assert "catch-up" in jobs[0]["detail"]
    assert [firing.fire_at for firing in fired] == [latest]
    assert again == []
    next_run = await db.fetchval("SELECT next_run_at FROM schedules WHERE name = 'digest'")
    assert next_run == latest + timedelta(minutes=5)


async def test_a_disabled_schedule_does_not_fire_and_counts_from_when_it_is_enabled(
    api: httpx.AsyncClient,
    db: asyncpg.Connection,
    schedulers: list[Scheduler],
    clock: FastClock,
) -> None:
    await create_schedule(api, schedule(cron="* * * * *", enabled=False))
    clock.advance(minutes=3)

    assert await schedulers[0].run_once() == []

    # Enabled now (real time): the minutes it was off are not made up.
    enabled = await api.patch("/schedules/digest", json={"enabled": True})
    clock.now = datetime.fromisoformat(enabled.json()["next_runs"][0])
    fired = await schedulers[0].run_once()

    assert [firing.fire_at for firing in fired] == [clock.now]
    jobs = await scheduled_jobs(db, "digest")
    assert len(jobs) == 1
    assert "catch-up" not in jobs[0]["detail"]


async def test_a_schedule_whose_type_was_deleted_moves_on_without_a_job(
    api: httpx.AsyncClient,
    db: asyncpg.Connection,
    schedulers: list[Scheduler],
    clock: FastClock,
) -> None:
    await register_type(api)
    await create_schedule(api, schedule(cron="* * * * *", job=custom_job()))
    await api.delete("/job-types/resize_image")
    clock.advance(minutes=1)

    fired = await schedulers[0].run_once()

    assert [firing.job_id for firing in fired] == [None]
    assert await scheduled_jobs(db, "digest") == []
    assert await db.fetchval("SELECT next_run_at FROM schedules") > clock.now


async def test_a_running_worker_service_fires_a_due_schedule_by_itself(
    api: httpx.AsyncClient, db: asyncpg.Connection, database_url: str
) -> None:
    # The other tests drive run_once(); this one checks the service runs the scheduler.
    await create_schedule(api, schedule(cron="* * * * *"))
    due = datetime.now(UTC).replace(second=0, microsecond=0)
    await db.execute("UPDATE schedules SET next_run_at = $1", due)  # due now, not next minute
    env = {"DATABASE_URL": database_url, "SCHEDULER_INTERVAL_SECONDS": "0.2"}

    with uvicorn_server("worker_service.main:app", env):
        jobs = await eventually(lambda: scheduled_jobs(db, "digest"))

    assert [job["schedule_fire_at"] for job in jobs] == [due]
