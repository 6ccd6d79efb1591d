"""Helpers for the worker service's tests: jobs inserted directly, a WorkerStore and its
maintenance services in-process, and the service's gauges read from /metrics."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.eventually import value_becomes
from worker_service.rescuer import Rescuer, RescuerSettings
from worker_service.stale_runners import StaleRunnerSweeper
from worker_service.store import WorkerStore, create_pool

_COLUMN_TYPES = {
    "priority": "smallint",
    "attempts": "integer",
    "max_attempts": "integer",
    "payload": "jsonb",
    "created_at": "timestamptz",
    "scheduled_for": "timestamptz",
}


async def insert_jobs(db: asyncpg.Connection, count: int = 1, **columns: Any) -> list[str]:
    """Insert pending jobs straight into the table (faster than the API for big queues).
    Column values are given as text, as you would write them in SQL."""
    values = {"type": "email", "priority": 3, "payload": '{"to": "a@example.com"}', **columns}
    names = ", ".join(values)
    placeholders = ", ".join(
        f"${i + 2}::text::{_COLUMN_TYPES.get(name, 'text')}" for i, name in enumerate(values)
    )
    rows = await db.fetch(
        f"INSERT INTO jobs ({names}) SELECT {placeholders} FROM generate_series(1, $1) "
        "RETURNING id",
        count,
        *(str(value) for value in values.values()),
    )
    return [str(row["id"]) for row in rows]


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[WorkerStore]:
    durable = await create_pool(database_url, 2, durable=True)
    fast = await create_pool(database_url, 2, durable=False)
    try:
        yield WorkerStore(durable, fast, 60, 2, 300)
    finally:
        await durable.close()
        await fast.close()


@pytest.fixture
def rescuer(store: WorkerStore) -> Rescuer:
    return Rescuer(store, RescuerSettings(batch_size=100))


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
