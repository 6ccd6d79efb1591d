"""The migration guard: services refuse to start on a database that is not at Alembic's head."""

from pathlib import Path

import asyncpg
from alembic.config import Config
from alembic.script import ScriptDirectory

from jobdeck_runtime.startup import StartupRefused

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
MIGRATE_COMMAND = "alembic upgrade head"


class DatabaseNotMigrated(StartupRefused):
    """The database schema is not the one this code was written for."""


class DatabaseUnreachable(StartupRefused):
    """No connection could be made with DATABASE_URL."""


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's config; with a URL, migrations run there instead of DATABASE_URL."""
    config = Config(str(ALEMBIC_INI))
    if database_url is not None:
        config.attributes["database_url"] = database_url
        config.attributes["configure_logging"] = False
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "alembic/versions holds no migration"
    return head


async def ensure_migrated(database_url: str) -> None:
    """Raise DatabaseNotMigrated with a one-line message naming the command that fixes it."""
    try:
        connection = await asyncpg.connect(database_url, timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise DatabaseUnreachable(
            f"Cannot connect to the database in DATABASE_URL: {error}"
        ) from error
    try:
        has_table = await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        current = (
            await connection.fetchval("SELECT version_num FROM alembic_version")
            if has_table
            else None
        )
    finally:
        await connection.close()
    expected = head_revision()
    if current != expected:
        found = f"at revision {current}" if current else "not migrated"
        raise DatabaseNotMigrated(
            f"The database is {found}; this code needs {expected}. "
            f"Run `{MIGRATE_COMMAND}` (or `make migrate`) first."
        )
