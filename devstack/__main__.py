"""`make run`: PostgreSQL (embedded unless DATABASE_URL), migrations, its own tokens and
session secret (kept under the data directory), then every service.

Ctrl-C stops them all.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from devstack.local_secrets import ADMIN_TOKEN_FILE, LocalSecrets, ensure_local_secrets
from devstack.processes import REPO_ROOT, stop, wait_until_healthy
from jobdeck_db import embedded
from jobdeck_db.migrations import alembic_config
from jobdeck_db.settings import configured_database_url, database_url


@dataclass
class Service:
    name: str
    args: list[str]
    port: int | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str | None:
        return f"http://localhost:{self.port}" if self.port else None


def _port(variable: str, default: int) -> int:
    return int(os.environ.get(variable, default))


# With SEED=1, the runners' simulation settings unless the environment sets them.
SEED_RUNNER_DEFAULTS = {"SIMULATED_FAILURE_RATE": "0.1", "SIMULATED_DURATION_MS": "400"}


def _ports() -> dict[str, int]:
    return {
        "producer API": _port("PRODUCER_API_PORT", 8000),
        "worker service": _port("WORKER_SERVICE_PORT", 3000),
        "dashboard": _port("FRONTEND_PORT", 3001),
    }


def _services(local: LocalSecrets) -> list[Service]:
    ports = _ports()
    producer, worker, frontend = ports["producer API"], ports["worker service"], ports["dashboard"]

    def uvicorn(app: str, port: int) -> list[str]:
        return ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]

    runner_env = {
        "WORKER_SERVICE_URL": f"http://localhost:{worker}",
        "JOBDECK_TOKEN": local.runner_token,
    }
    if os.environ.get("SEED"):
        # A demo worth watching: jobs take a moment and a few fail and retry, unless the
        # environment says otherwise.
        runner_env |= {
            name: os.environ.get(name, default) for name, default in SEED_RUNNER_DEFAULTS.items()
        }
    return [
        Service("producer API", uvicorn("producer_api.main:app", producer), producer),
        Service("worker service", uvicorn("worker_service.main:app", worker), worker),
        Service(
            "dashboard",
            uvicorn("frontend.main:app", frontend),
            frontend,
            {
                "PRODUCER_API_URL": f"http://localhost:{producer}",
                "WORKER_SERVICE_URL": f"http://localhost:{worker}",
                "SESSION_SECRET": local.session_secret,
            },
        ),
        *(
            Service(f"runner {number}", ["-m", "worker_service.runner"], env=runner_env)
            for number in (1, 2)
        ),
        *_callbacks_process(),
    ]


def _callbacks_process() -> list[Service]:
    """The callback deliverer's own process, when the worker service is told to leave
    callbacks to it (CALLBACK_IN_SERVICE=false, in the environment or .env)."""
    from worker_service.settings import get_settings  # reads .env as the service will

    if get_settings().callback_in_service:
        return []
    return [Service("callbacks", ["-m", "worker_service.callbacks"])]


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stop_like_ctrl_c(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _shown(path: Path) -> str:
    """`path` as the person would type it from here: relative when it is below the cwd."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _how_to_sign_in(local: LocalSecrets, dashboard: str) -> str:
    # The command, not the token itself: a terminal's scrollback and a CI log outlive the run,
    # and a token is shown only where the person asked for it.
    directory = embedded.data_dir()
    admin = _shown(directory / ADMIN_TOKEN_FILE)
    lines = [
        f"Sign in at {dashboard} with the admin token, which this shows:",
        f"  cat {admin}",
        f"For the API and seed.py: export JOBDECK_TOKEN=$(cat {admin})",
    ]
    if local.created:
        made = ", ".join(local.created)
        lines.insert(0, f"Made on this start in {_shown(directory)}, for you alone to read: {made}")
    return "\n".join(lines)


def main() -> int:
    busy = [(name, port) for name, port in _ports().items() if _port_in_use(port)]
    if busy:
        names = ", ".join(f"{port} ({name})" for name, port in busy)
        print(f"make run: port already in use: {names}. Stop what holds it or set *_PORT.")
        return 1

    started_embedded = configured_database_url() is None
    url = database_url()
    print("database:", "embedded PostgreSQL in .data/pg" if started_embedded else "DATABASE_URL")
    command.upgrade(alembic_config(url), "head")
    local = asyncio.run(ensure_local_secrets(url, embedded.data_dir()))
    services = _services(local)

    processes: dict[str, subprocess.Popen[bytes]] = {}
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    try:
        for service in services:
            env = {**os.environ, "DATABASE_URL": url, **service.env}
            processes[service.name] = subprocess.Popen(
                [sys.executable, *service.args], cwd=REPO_ROOT, env=env
            )
            if service.url and not wait_until_healthy(service.url, processes[service.name]):
                print(f"make run: {service.name} did not start; see its output above.")
                return 1
        print("\nJobdeck is running:")
        for service in services:
            if service.url:
                print(f"  {service.name:<15} {service.url}")
        print(f"  {'API docs':<15} {services[0].url}/docs")
        [dashboard] = [service for service in services if service.name == "dashboard"]
        print(_how_to_sign_in(local, str(dashboard.url)))
        print("Press Ctrl-C to stop.\n")
        if os.environ.get("SEED"):
            subprocess.run(
                [sys.executable, "seed.py", "--count", "50", "--url", str(services[0].url)],
                cwd=REPO_ROOT,
                env={**os.environ, "JOBDECK_TOKEN": local.admin_token},
            )
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        print(f"make run: {', '.join(stopped)} stopped unexpectedly; stopping the rest.")
        return 1
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    finally:
        for process in processes.values():  # all at once: runners drain in parallel
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            stop(process, seconds=45)
        if started_embedded:
            embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
