"""The async engine (asyncpg under SQLAlchemy), one per app."""

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from jobdeck_db import urls
from jobdeck_db.availability import is_connection_problem
from jobdeck_db.sessions import server_settings


def create_engine(database_url: str, pool_size: int) -> AsyncEngine:
    return create_async_engine(
        urls.for_sqlalchemy(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        # A restarted database leaves dead connections in the pool: test each on checkout.
        pool_pre_ping=True,
        connect_args={
            "timeout": 5,
            "command_timeout": 30,
            "server_settings": server_settings(
                "jobdeck-producer-api",
                # Prepared statements would otherwise switch to a generic plan that cannot
                # see the search text or filters, and pick scans (measured in bench/README.md).
                plan_cache_mode="force_custom_plan",
                # The data fits in memory: random reads cost little more than sequential.
                random_page_cost="1.1",
                # The stats query's row estimate made PostgreSQL JIT-compile it on every call.
                jit="off",
            ),
        },
    )


def is_unavailable(error: Exception) -> bool:
    """True when the error is about reaching the database, not about the query."""
    if isinstance(error, PoolTimeout) or is_connection_problem(error):
        return True
    return isinstance(error, DBAPIError) and (
        error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    )
