"""Helpers for the worker service's tests: jobs inserted directly, and a WorkerStore in-process."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from worker_service.rescuer import Rescuer
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
    return Rescuer(store, interval_seconds=1, batch_size=100)
