"""The retention library on its own pool, as the services hold it."""

import contextlib
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


@contextlib.asynccontextmanager
async def deletes_refused(db: asyncpg.Connection) -> AsyncIterator[None]:
    """Every DELETE on jobs fails ("disk on fire") while inside: a crash between the archive
    and the delete's commit, as PostgreSQL would report a failure there."""
    await db.execute("""
        CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
        CREATE TRIGGER refuse_delete BEFORE DELETE ON jobs
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();
    """)
    try:
        yield
    finally:
        await db.execute("DROP TRIGGER refuse_delete ON jobs; DROP FUNCTION refuse_delete()")
