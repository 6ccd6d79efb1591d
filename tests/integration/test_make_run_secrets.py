"""`make run`'s own tokens and session secret: made on the first start, kept under the data
directory (mode 600), reused while the database still knows them, replaced when it does not."""

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from devstack.databases import migrated_database
from devstack.local_secrets import (
    ADMIN_TOKEN_NAME,
    RUNNER_TOKEN_NAME,
    LocalSecrets,
    ensure_local_secrets,
)
from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore

KEPT = ["admin-token", "runner-token", "session-secret"]


@pytest.fixture
def fresh_database(server_url: str) -> Iterator[str]:
    """A database of its own: these tests make, revoke and replace tokens by name."""
    with migrated_database(server_url, "jobdeck_make_run") as url:
        yield url


@pytest.fixture
def another_database(server_url: str) -> Iterator[str]:
    """What `make run` finds after the database was reset."""
    with migrated_database(server_url, "jobdeck_make_run_reset") as url:
        yield url


async def role_of(database_url: str, secret: str) -> Role | None:
    connection = await asyncpg.connect(database_url)
    try:
        principal = await TokenStore(connection).use(secret)
    finally:
        await connection.close()
    return principal.role if principal else None


async def test_the_first_start_makes_an_admin_token_a_runner_token_and_a_session_secret(
    fresh_database: str, tmp_path: Path
) -> None:
    local = await ensure_local_secrets(fresh_database, tmp_path)

    assert local.created == tuple(KEPT)
    assert await role_of(fresh_database, local.admin_token) == Role.ADMIN
    assert await role_of(fresh_database, local.runner_token) == Role.RUNNER
    assert len(local.session_secret) >= 32
    kept = {name: (tmp_path / name).read_text().strip() for name in KEPT}
    assert kept == {
        "admin-token": local.admin_token,
        "runner-token": local.runner_token,
        "session-secret": local.session_secret,
    }
    for name in KEPT:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


async def test_the_second_start_reuses_what_the_first_made(
    fresh_database: str, tmp_path: Path
) -> None:
    first = await ensure_local_secrets(fresh_database, tmp_path)

    second = await ensure_local_secrets(fresh_database, tmp_path)

    assert second == LocalSecrets(
        first.admin_token, first.runner_token, first.session_secret, created=()
    )


async def test_after_a_database_reset_new_tokens_are_made_and_the_session_secret_stays(
    fresh_database: str, another_database: str, tmp_path: Path
) -> None:
    first = await ensure_local_secrets(fresh_database, tmp_path)

    after_reset = await ensure_local_secrets(another_database, tmp_path)

    assert after_reset.created == ("admin-token", "runner-token")
    assert after_reset.session_secret == first.session_secret
    assert await role_of(another_database, after_reset.admin_token) == Role.ADMIN
    assert await role_of(another_database, after_reset.runner_token) == Role.RUNNER
    assert (tmp_path / "admin-token").read_text().strip() == after_reset.admin_token


async def test_a_revoked_runner_token_is_replaced_and_the_admin_token_kept(
    fresh_database: str, tmp_path: Path
) -> None:
    first = await ensure_local_secrets(fresh_database, tmp_path)
    await revoke(fresh_database, RUNNER_TOKEN_NAME)

    second = await ensure_local_secrets(fresh_database, tmp_path)

    assert second.created == ("runner-token",)
    assert second.admin_token == first.admin_token
    assert second.runner_token != first.runner_token
    assert await role_of(fresh_database, second.runner_token) == Role.RUNNER


async def test_an_expired_admin_token_is_replaced(fresh_database: str, tmp_path: Path) -> None:
    first = await ensure_local_secrets(fresh_database, tmp_path)
    connection = await asyncpg.connect(fresh_database)
    try:
        await connection.execute(
            "UPDATE api_tokens SET expires_at = $1 WHERE name = $2",
            datetime.now(UTC) - timedelta(minutes=1),
            ADMIN_TOKEN_NAME,
        )
    finally:
        await connection.close()

    second = await ensure_local_secrets(fresh_database, tmp_path)

    assert second.created == ("admin-token",)
    assert second.admin_token != first.admin_token
    assert await role_of(fresh_database, second.admin_token) == Role.ADMIN


async def test_a_lost_token_file_replaces_the_token_left_under_its_name(
    fresh_database: str, tmp_path: Path
) -> None:
    first = await ensure_local_secrets(fresh_database, tmp_path)
    (tmp_path / "admin-token").unlink()

    second = await ensure_local_secrets(fresh_database, tmp_path)

    assert second.created == ("admin-token",)
    assert await role_of(fresh_database, second.admin_token) == Role.ADMIN
    # Nobody holds the old secret any more: it must not stay valid.
    assert await role_of(fresh_database, first.admin_token) is None


async def revoke(database_url: str, name: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await TokenStore(connection).revoke_named(name)
    finally:
        await connection.close()
