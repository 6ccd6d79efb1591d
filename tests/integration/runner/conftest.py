"""Runner processes against a worker service with short leases; tests rescue jobs themselves
(`Rescuer.run_once()`), so the service's own rescuer waits an hour between passes."""

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack import processes
from jobdeck_access.roles import Role
from tests.peers import smtp_server, webhook
from tests.servers import uvicorn_server

__all__ = ["smtp_server", "webhook"]  # real SMTP and webhook peers for the runners' work

LEASE_SECONDS = 2


@pytest.fixture(scope="module")
def runners_worker_url(database_url: str) -> Iterator[str]:
    env = {
        "DATABASE_URL": database_url,
        "LEASE_SECONDS": str(LEASE_SECONDS),
        "RESCUE_INTERVAL_SECONDS": "3600",
        "RETRY_BASE_DELAY_SECONDS": "0",
    }
    with uvicorn_server("worker_service.main:app", env) as base_url:
        yield base_url


StartRunner = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def start_runner(
    runners_worker_url: str, tmp_path: Path, tokens: dict[Role, str]
) -> Iterator[StartRunner]:
    """Start `python -m worker_service.runner ARGS` with settings as environment variables."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, **settings: object) -> subprocess.Popen[bytes]:
        env = {
            "WORKER_SERVICE_URL": runners_worker_url,
            "JOBDECK_TOKEN": tokens[Role.RUNNER],
            "OUTBOX_DIR": str(tmp_path / "outbox"),
            "HEARTBEAT_INTERVAL_SECONDS": "0.3",
            "LOG_LEVEL": "WARNING",
            **{name.upper(): str(value) for name, value in settings.items()},
        }
        process = processes.start_runner(list(args), env, tmp_path / f"runner-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
