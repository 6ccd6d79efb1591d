"""The producer's static statements: queries.sql's named blocks, loaded once as sa.text."""

from pathlib import Path

import sqlalchemy as sa

from jobdeck_db.queries import load_queries

QUERIES_FILE = Path(__file__).with_name("queries.sql")

QUERIES: dict[str, sa.TextClause] = {
    name: sa.text(statement) for name, statement in load_queries(QUERIES_FILE).items()
}
