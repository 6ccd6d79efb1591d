"""Throwaway databases for tests and benchmarks: created on a server, migrated, dropped."""

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from alembic import command
from jobdeck_db import urls
from jobdeck_db.migrations import alembic_config


async def _run(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_database(server_url: str, prefix: str) -> str:
    """A new empty database beside `server_url`'s; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _run(server_url, f'CREATE DATABASE "{name}"')
    return urls.with_database(server_url, name)


async def drop_database(server_url: str, database_url: str) -> None:
    """Drop it even while services are still connected (PostgreSQL 13+)."""
    name = urls.database_name(database_url)
    await _run(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_database(server_url: str, prefix: str, keep: bool = False) -> Iterator[str]:
    """A new database at Alembic's head, dropped afterwards unless `keep`.

    Synchronous on purpose: alembic's env.py runs its own event loop.
    """
    url = asyncio.run(create_database(server_url, prefix))
    try:
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        if not keep:
            asyncio.run(drop_database(server_url, url))
