"""Helpers for the worker service's tests: the runner sweeper in-process, the service's
gauges read from /metrics, and job types' controls set and lifted."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.eventually import value_becomes
from worker_service.stale_runners import StaleRunnerSweeper
from worker_service.store import WorkerStore


@pytest.fixture
def sweeper(store: WorkerStore) -> StaleRunnerSweeper:
    return StaleRunnerSweeper(store)


async def gauge(worker: httpx.AsyncClient, name: str) -> float:
    """The value of an unlabelled gauge on the service's /metrics."""
    for line in (await worker.get("/metrics")).text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} on /metrics")


async def claims_waiting_become(worker: httpx.AsyncClient, count: int) -> None:
    """Until the service holds `count` long-polls waiting for a job. A claim counted there
    took its wake-up before its empty claim: a job created from now on wakes it."""

    async def claims_waiting() -> float:
        return await gauge(worker, "jobdeck_claims_waiting")

    await value_becomes(claims_waiting, count)


# Every control column of job_types, as a test may set it; all are lifted after each test.
_CONTROL_COLUMNS = (
    "paused",
    "concurrency",
    "key_concurrency",
    "rate_limit_jobs",
    "rate_limit_seconds",
    "timeout_seconds",
    "default_max_attempts",
)


class TypeControls:
    """Sets a job type's controls straight in job_types, as PATCH /job-types would, with the
    rate slots a rate limit needs."""

    def __init__(self, db: asyncpg.Connection) -> None:
        self._db = db

    async def set(self, job_type: str, **controls: object) -> None:
        unknown = set(controls) - set(_CONTROL_COLUMNS)
        assert not unknown, f"not a control: {unknown}"
        assignments = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(controls))
        async with self._db.transaction():
            await self._db.execute(
                f"UPDATE job_types SET {assignments}, updated_at = now() WHERE name = $1",
                job_type,
                *controls.values(),
            )
            if "rate_limit_jobs" in controls:
                await self._db.execute("DELETE FROM job_type_rate_slots WHERE type = $1", job_type)
                await self._db.execute(
                    "INSERT INTO job_type_rate_slots (type, slot) "
                    "SELECT $1, generate_series(1, $2::integer)",
                    job_type,
                    controls["rate_limit_jobs"] or 0,
                )

    async def lift_all(self) -> None:
        lifted = ", ".join(
            f"{name} = {'false' if name == 'paused' else 'NULL'}" for name in _CONTROL_COLUMNS
        )
        await self._db.execute(f"UPDATE job_types SET {lifted}")
        await self._db.execute("DELETE FROM job_type_rate_slots")


@pytest.fixture
async def type_controls(db: asyncpg.Connection) -> AsyncIterator[TypeControls]:
    """Controls set by a test, lifted after it (job_types outlives the per-test TRUNCATE)."""
    controls = TypeControls(db)
    try:
        yield controls
    finally:
        await controls.lift_all()
