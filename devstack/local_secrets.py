"""`make run`'s own secrets, kept under the data directory from one run to the next.

An admin token for the person at the keyboard, a runner token for its runners, and the
dashboard's SESSION_SECRET: each a file only its owner may read (mode 600). A kept token is
checked against the database on every start, and replaced when it no longer works there
(the database was reset, or DATABASE_URL now points at another one).
"""

import contextlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore
from jobdeck_access.tokens import TokenNotFound

ADMIN_TOKEN_FILE = "admin-token"
RUNNER_TOKEN_FILE = "runner-token"
SESSION_SECRET_FILE = "session-secret"
# The names `jobdeck tokens list` shows them by.
ADMIN_TOKEN_NAME = "make-run-admin"
RUNNER_TOKEN_NAME = "make-run-runners"


@dataclass(frozen=True, slots=True)
class LocalSecrets:
    admin_token: str
    runner_token: str
    session_secret: str
    # Which of the three were made on this start (a fresh machine, or a reset database).
    created: tuple[str, ...]


def read_kept(path: Path) -> str | None:
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # copied or restored with looser rights: tighten them first
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def keep(path: Path, value: str) -> None:
    """Write `value` to `path`, readable by its owner alone, replacing it in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.new")
    with contextlib.suppress(FileNotFoundError):
        draft.unlink()
    # Created with mode 600: the secret is never readable by others, not even for a moment.
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")
    draft.replace(path)


async def _token(store: TokenStore, path: Path, name: str, role: Role) -> tuple[str, bool]:
    """The kept token when the database still knows it with this role; else a new one."""
    kept = read_kept(path)
    if kept is not None:
        principal = await store.use(kept)
        if (
            principal is not None
            and principal.role == role
            and (principal.expires_at is None or principal.expires_at > datetime.now(UTC))
        ):
            return kept, False
    # Its secret is lost or no longer works: a token left under our name is of no use.
    with contextlib.suppress(TokenNotFound):
        await store.revoke_named(name)
    _info, secret = await store.create(name, role, None)
    keep(path, secret)
    return secret, True


async def ensure_local_secrets(database_url: str, directory: Path) -> LocalSecrets:
    """The admin and runner tokens and the session secret, reused when they still work."""
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        store = TokenStore(connection)
        admin, new_admin = await _token(
            store, directory / ADMIN_TOKEN_FILE, ADMIN_TOKEN_NAME, Role.ADMIN
        )
        runner, new_runner = await _token(
            store, directory / RUNNER_TOKEN_FILE, RUNNER_TOKEN_NAME, Role.RUNNER
        )
    finally:
        await connection.close()
    session_path = directory / SESSION_SECRET_FILE
    session = read_kept(session_path)
    new_session = session is None
    if session is None:
        session = secrets.token_urlsafe(32)
        keep(session_path, session)
    made = (ADMIN_TOKEN_FILE, new_admin), (RUNNER_TOKEN_FILE, new_runner)
    created = tuple(name for name, new in (*made, (SESSION_SECRET_FILE, new_session)) if new)
    return LocalSecrets(admin, runner, session, created)
