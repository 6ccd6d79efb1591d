"""The retention library on its own pool, as the services hold it."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from jobdeck_retention.store import RetentionStore, create_retention_pool


@pytest.fixture
async def retention_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_retention_pool(database_url)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def retention(retention_pool: asyncpg.Pool) -> RetentionStore:
    return RetentionStore(retention_pool)
