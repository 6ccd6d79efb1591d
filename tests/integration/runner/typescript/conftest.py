"""The TypeScript runner as a real `node` process (clients/typescript, built by `make
install`), against the worker service of the runner tests (short leases, no rescuer of its
own: tests call `Rescuer.run_once()`)."""

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from jobdeck_access.roles import Role
from tests.factories import register_type
from tests.servers import REPO_ROOT

CLI = REPO_ROOT / "clients" / "typescript" / "dist" / "cli.js"
HANDLERS = Path(__file__).with_name("handlers.mjs")
ANY_OBJECT = {"schema": {"type": "object"}, "description": "a TypeScript runner's test type"}
TS_TYPES = ("ts_echo", "ts_flaky", "ts_doomed", "ts_slow", "ts_stubborn")

StartNodeRunner = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
async def ts_types(api: httpx.AsyncClient) -> None:
    """The custom types the test handlers own, registered through the producer API."""
    for name in TS_TYPES:
        await register_type(api, name, ANY_OBJECT)


@pytest.fixture
def start_node_runner(
    runners_worker_url: str, tmp_path: Path, tokens: dict[Role, str]
) -> Iterator[StartNodeRunner]:
    """Start `node clients/typescript/dist/cli.js --handlers handlers.mjs ARGS`; its output goes
    to tmp_path/node-runner-N.log. Settings are given as keyword arguments (environment)."""
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: `make install` builds the TypeScript runner")
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, **settings: object) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "WORKER_SERVICE_URL": runners_worker_url,
            "JOBDECK_TOKEN": tokens[Role.RUNNER],
            "HEARTBEAT_INTERVAL_SECONDS": "0.3",
            "LOG_LEVEL": "debug",  # "claimed job …": the runner has it (see runner_holds)
            **{name.upper(): str(value) for name, value in settings.items()},
        }
        log = tmp_path / f"node-runner-{len(started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                ["node", str(CLI), "--handlers", str(HANDLERS), *args],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
