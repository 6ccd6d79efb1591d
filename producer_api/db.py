"""The async engine (asyncpg under SQLAlchemy), one per app."""

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from jobdeck_db import urls


def create_engine(database_url: str, pool_size: int) -> AsyncEngine:
    return create_async_engine(
        urls.for_sqlalchemy(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        # A restarted database leaves dead connections in the pool: test each on checkout.
        pool_pre_ping=True,
        connect_args={"timeout": 5, "command_timeout": 30},
    )


# SQLSTATEs meaning "the database is not there right now": connection exceptions (08),
# shutdown or starting up (57P), too many connections, and a database that was dropped.
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53300", "3D000")


def is_unavailable(error: Exception) -> bool:
    """True when the error is about reaching the database, not about the query."""
    if isinstance(error, PoolTimeout | OSError | ConnectionError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return (
        error.connection_invalidated
        or isinstance(error, OperationalError | InterfaceError)
        or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    )
