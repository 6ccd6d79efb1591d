"""Which database errors a client sees as 503 ("try again") rather than a 500."""

import asyncpg
import pytest

from jobdeck_db.availability import is_connection_problem


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError(),
        TimeoutError(),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        # What a pooled connection says when its backend was killed mid-statement.
        asyncpg.InternalClientError("cannot switch to state 11; another operation is in progress"),
    ],
)
def test_the_database_being_away_is_a_connection_problem(error: Exception) -> None:
    assert is_connection_problem(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.UniqueViolationError("duplicate key value"),
        asyncpg.UndefinedColumnError("column does not exist"),
        ValueError("a bug"),
    ],
)
def test_a_wrong_query_or_a_bug_is_not(error: Exception) -> None:
    assert not is_connection_problem(error)
