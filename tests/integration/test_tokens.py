"""API tokens in the real database: shown once, stored as a digest, used, expired, revoked;
and the `jobdeck tokens` command that operators create them with."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore
from jobdeck_access.tokens import TokenNameTaken, TokenNotFound, digest
from jobdeck_access.verifier import TokenVerifier
from tests.cli import jobdeck


@pytest.fixture
async def store(database_url: str, db: asyncpg.Connection) -> AsyncIterator[TokenStore]:
    # Other tests' tokens stay: the session's own are in this table too.
    await db.execute("DELETE FROM api_tokens WHERE name NOT LIKE 'test-%'")
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        yield TokenStore(pool)
    finally:
        await pool.close()


class FakeClock:
    """Monotonic seconds the test moves forward itself."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_only_the_digest_of_a_token_is_stored(
    store: TokenStore, db: asyncpg.Connection
) -> None:
    info, secret = await store.create("ci", Role.PRODUCER, None)

    stored = await db.fetchrow("SELECT * FROM api_tokens WHERE id = $1", info.id)
    assert bytes(stored["token_digest"]) == digest(secret)
    assert secret not in str(dict(stored))
    assert (info.name, info.role, info.expires_at, info.last_used_at) == (
        "ci",
        Role.PRODUCER,
        None,
        None,
    )


async def test_a_token_is_known_by_its_secret_and_its_use_is_noted_once_a_minute(
    store: TokenStore, db: asyncpg.Connection
) -> None:
    info, secret = await store.create("dashboard-ada", Role.VIEWER, 30)

    principal = await store.use(secret)
    first_use = await db.fetchval("SELECT last_used_at FROM api_tokens WHERE id = $1", info.id)
    await store.use(secret)
    second_use = await db.fetchval("SELECT last_used_at FROM api_tokens WHERE id = $1", info.id)

    assert principal is not None
    assert (principal.name, principal.role) == ("dashboard-ada", Role.VIEWER)
    assert first_use is not None
    assert second_use == first_use  # no write per request
    assert await store.use(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None


async def test_names_are_unique(store: TokenStore) -> None:
    await store.create("runners", Role.RUNNER, None)

    with pytest.raises(TokenNameTaken, match="runners"):
        await store.create("runners", Role.ADMIN, None)


async def test_an_expired_token_is_refused(store: TokenStore, db: asyncpg.Connection) -> None:
    info, secret = await store.create("short-lived", Role.OPERATOR, 1)
    await db.execute(
        "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", info.id
    )

    assert await TokenVerifier(store, cache_seconds=5).principal(secret) is None


async def test_a_token_expiring_while_its_answer_is_cached_is_refused_at_once(
    store: TokenStore,
) -> None:
    _info, secret = await store.create("short-lived", Role.OPERATOR, 1)
    now = [datetime.now(UTC)]
    verifier = TokenVerifier(store, cache_seconds=3600, wall_clock=lambda: now[0])
    assert await verifier.principal(secret) is not None

    now[0] += timedelta(days=2)

    assert await verifier.principal(secret) is None


async def test_a_revoked_token_stops_working_when_its_cached_answer_goes_stale(
    store: TokenStore,
) -> None:
    info, secret = await store.create("laptop", Role.ADMIN, None)
    clock = FakeClock()
    verifier = TokenVerifier(store, cache_seconds=5, clock=clock)
    assert await verifier.principal(secret) is not None

    await store.revoke(info.id)
    clock.now += 4
    still_cached = await verifier.principal(secret)
    clock.now += 2

    assert still_cached is not None
    assert await verifier.principal(secret) is None
    with pytest.raises(TokenNotFound):
        await store.revoke(info.id)


async def test_garbage_is_refused_without_a_lookup(store: TokenStore) -> None:
    verifier = TokenVerifier(store, cache_seconds=5)

    for garbage in ("", "jd_", "x" * 10_000, "jd_" + "é" * 43):
        assert await verifier.principal(garbage) is None


async def test_the_command_line_creates_lists_and_revokes_tokens(
    database_url: str, store: TokenStore
) -> None:
    created = jobdeck(database_url, "tokens", "create", "--role", "runner", "--name", "fleet")
    listed = jobdeck(database_url, "tokens", "list")
    taken = jobdeck(database_url, "tokens", "create", "--role", "admin", "--name", "fleet")
    revoked = jobdeck(database_url, "tokens", "revoke", "fleet")
    gone = jobdeck(database_url, "tokens", "revoke", "fleet")

    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert created.stdout == secret + "\n"  # the token alone, ready for $(…)
    assert secret.startswith("jd_")
    assert "fleet\trunner\t" in listed.stdout and secret not in listed.stdout
    assert taken.returncode == 1 and "already exists" in taken.stderr
    assert revoked.returncode == 0
    assert await store.use(secret) is None
    assert gone.returncode == 1 and "no token named 'fleet'" in gone.stderr


def test_the_command_line_refuses_a_bad_role_naming_it(database_url: str) -> None:
    refused = jobdeck(database_url, "tokens", "create", "--role", "root", "--name", "x")

    assert refused.returncode == 2
    assert "--role" in refused.stderr and "root" in refused.stderr
