"""API tokens for tests: one of each role in a database, and the header that carries one."""

import asyncpg

from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore


async def create_tokens(database_url: str, prefix: str = "test") -> dict[Role, str]:
    """A token of every role (named `<prefix>-<role>`), by role: their secrets."""
    connection = await asyncpg.connect(database_url)
    try:
        store = TokenStore(connection)
        return {role: (await store.create(f"{prefix}-{role}", role, None))[1] for role in Role}
    finally:
        await connection.close()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
