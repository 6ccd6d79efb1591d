"""Tell "the database is not reachable right now" apart from "this query is wrong"."""

import asyncpg

# Connection exceptions (08), shutdown or starting up (57P), too many connections (53300),
# and a database that does not exist (3D000): all mean "try again later", never a bug.
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53300", "3D000")


def is_connection_problem(error: BaseException) -> bool:
    """True for errors a client should see as 503, for asyncpg's and SQLAlchemy's alike."""
    if isinstance(error, OSError | ConnectionError | TimeoutError | asyncpg.InterfaceError):
        return True
    # A pooled connection whose backend was killed mid-statement can be left "in another
    # operation" until the pool drops it (asyncpg's InternalClientError, seen under
    # pg_terminate_backend in tests/chaos): the next request gets a fresh one.
    if isinstance(error, asyncpg.InternalClientError):
        return True
    # SQLAlchemy wraps the driver's error; its `orig` carries the SQLSTATE.
    sqlstate = getattr(error, "sqlstate", None) or getattr(
        getattr(error, "orig", None), "sqlstate", None
    )
    return bool(sqlstate) and str(sqlstate).startswith(_UNAVAILABLE_SQLSTATES)
