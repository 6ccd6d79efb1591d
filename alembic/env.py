"""Alembic runs every migration over asyncpg, against DATABASE_URL or the embedded server."""

import asyncio
from logging.config import fileConfig

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import context
from jobdeck_access.schema import metadata as access_metadata
from jobdeck_db import urls
from jobdeck_db.settings import database_url
from jobdeck_retention.schema import metadata as retention_metadata
from producer_api.models import metadata as producer_metadata
from worker_service.schema import metadata as worker_metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        # Every table any service maps, so `alembic check` sees drift anywhere.
        target_metadata=[producer_metadata, worker_metadata, access_metadata, retention_metadata],
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = config.attributes.get("database_url") or database_url()
    engine = create_async_engine(urls.for_sqlalchemy(url))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(_run_online())
