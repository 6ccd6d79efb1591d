"""TokenStore: the only code that reads and writes the api_tokens table."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from job_contract.producer_api import TokenPublic
from jobdeck_access.roles import Role
from jobdeck_access.tokens import (
    Principal,
    TokenNameTaken,
    TokenNotFound,
    digest,
    new_secret,
)
from jobdeck_db.queries import load_queries
from jobdeck_db.sessions import server_settings

QUERIES = load_queries(Path(__file__).with_name("queries.sql"))

# How often a token's last use is written down (SPEC: cheaply, not a write per request).
LAST_USED_EVERY_SECONDS = 60.0


class TokenStore:
    def __init__(self, database: asyncpg.Pool | asyncpg.Connection) -> None:
        # A pool in the services, one connection in the `jobdeck` command.
        self._database = database

    async def create(
        self, name: str, role: Role, expires_in_days: int | None
    ) -> tuple[TokenPublic, str]:
        """A new token and its secret (returned this once; only its digest is kept)."""
        secret = new_secret()
        expires_at = (
            datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        )
        try:
            row = await self._database.fetchrow(
                QUERIES["token_insert"], name, role.value, digest(secret), expires_at
            )
        except asyncpg.UniqueViolationError:
            raise TokenNameTaken(name) from None
        return _info(row), secret

    async def use(self, secret: str) -> Principal | None:
        """Who the secret belongs to, or None; records the use (at most once a minute)."""
        row = await self._database.fetchrow(
            QUERIES["token_use"], digest(secret), LAST_USED_EVERY_SECONDS
        )
        if row is None:
            return None
        return Principal(
            token_id=row["id"],
            name=row["name"],
            role=Role(row["role"]),
            expires_at=row["expires_at"],
        )

    async def list(self) -> list[TokenPublic]:
        return [_info(row) for row in await self._database.fetch(QUERIES["token_list"])]

    async def revoke(self, token_id: UUID) -> None:
        if await self._database.fetchval(QUERIES["token_delete_by_id"], token_id) is None:
            raise TokenNotFound(str(token_id))

    async def revoke_named(self, name: str) -> None:
        if await self._database.fetchval(QUERIES["token_delete_by_name"], name) is None:
            raise TokenNotFound(f"named {name!r}")


def _info(row: Any) -> TokenPublic:
    return TokenPublic(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
    )


async def create_token_pool(database_url: str) -> asyncpg.Pool:
    """A small pool of its own: token lookups are rare (answers are cached) and must not wait
    behind a service's busy pool."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=2,
        timeout=5,
        command_timeout=10,
        server_settings=server_settings("jobdeck-tokens"),
    )
    return pool
