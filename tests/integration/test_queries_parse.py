"""Every named block of the services' SQL files (and the cleaner's) parses against the real schema.

PostgreSQL prepares each block as its service sends it (parsed, names resolved, planned, not
run), so a typo in any block fails here rather than on the request that first runs it.
"""

from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from jobdeck_db.queries import load_queries
from producer_api.queries import QUERIES_FILE as PRODUCER_QUERIES
from tests.servers import REPO_ROOT

WORKER_QUERIES = REPO_ROOT / "worker_service" / "queries.sql"
RETENTION_QUERIES = REPO_ROOT / "jobdeck_retention" / "queries.sql"


def as_sent(path: Path, statement: str) -> str:
    """The statement as its service hands it to asyncpg."""
    if path == PRODUCER_QUERIES:
        # The producer runs sa.text with named binds; SQLAlchemy numbers them ($1, $2, …).
        return str(sa.text(statement).compile(dialect=asyncpg_dialect()))
    return statement  # the worker service and the cleaner write asyncpg's $1, $2, … themselves


BLOCKS = [
    pytest.param(path, name, statement, id=f"{path.parent.name}/{name}")
    for path in (PRODUCER_QUERIES, WORKER_QUERIES, RETENTION_QUERIES)
    for name, statement in load_queries(path).items()
]


def test_both_files_have_blocks() -> None:
    assert load_queries(PRODUCER_QUERIES)
    assert load_queries(WORKER_QUERIES)
    assert load_queries(RETENTION_QUERIES)


@pytest.mark.parametrize(("path", "name", "statement"), BLOCKS)
async def test_block_parses_against_the_schema(
    db: asyncpg.Connection, path: Path, name: str, statement: str
) -> None:
    try:
        await db.prepare(as_sent(path, statement))
    except asyncpg.PostgresError as error:
        pytest.fail(f"{path.name} block {name!r} does not parse: {error}")


async def test_a_typo_in_a_block_is_caught(db: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.UndefinedColumnError):
        await db.prepare(as_sent(PRODUCER_QUERIES, "SELECT staus FROM jobs WHERE id = :id"))
