"""The chaos suite's parts: worker services with short leases, a fleet of real runner processes
running tests/chaos/handlers.py, the run's size, and the figures table it prints.

Sizes are small for `make test` (CI) and large for `make chaos`, which sets CHAOS_SCALE=big.
"""

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from devstack import processes
from devstack.databases import migrated_database
from jobdeck_access.roles import Role
from tests.access import create_tokens
from tests.chaos.handlers import JOB_TYPE, RUN_LOG
from tests.chaos.ledger import Audit
from tests.factories import register_type
from tests.servers import uvicorn_server

BIG = os.environ.get("CHAOS_SCALE") == "big"
# Short leases, and the services' own rescuers on: the faults here are the real thing, and
# so is recovering from them.
LEASE_SECONDS = 3
WORKER_ENV = {
    # Few connections: the suite's services share the server with every other test run.
    "DB_POOL_SIZE": "3",
    "LEASE_SECONDS": str(LEASE_SECONDS),
    "RESCUE_INTERVAL_SECONDS": "0.5",
    "RETRY_BASE_DELAY_SECONDS": "0",
}


def sized(ci: int, big: int) -> int:
    """`ci` in `make test`, `big` in `make chaos`."""
    return big if BIG else ci


def machine_settings(examples: int, steps: int) -> settings:
    """For a state machine driving the real services (scenarios 8 and 9)."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=not BIG,
        # Shrinking a failure through real services can take many minutes: CI shows the
        # failing steps as found; `make chaos` shrinks them.
        phases=list(Phase) if BIG else [phase for phase in Phase if phase != Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )


@contextmanager
def backing_off_worker(database_url: str, retry_base_delay: float) -> Iterator[str]:
    """A worker service whose retries wait `retry_base_delay` seconds (±20 % jitter) first."""
    env = {
        "DATABASE_URL": database_url,
        **WORKER_ENV,
        "RETRY_BASE_DELAY_SECONDS": str(retry_base_delay),
    }
    with uvicorn_server("worker_service.main:app", env) as url:
        yield url


# --- the figures table --------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    scenario: str
    faults: str
    ledger: Audit
    recovered_in: str  # seconds, or "-" where nothing had to recover
    wall_seconds: float | None  # None where the scenario is not a load


FIGURES: list[Figure] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("chaos figures")
    header = (
        "scenario", "jobs", "faults injected", "lost", "done twice", "handler re-runs",
        "recovered in", "wall",
    )  # fmt: skip
    rows = [
        (
            f.scenario,
            str(f.ledger.jobs),
            f.faults,
            str(f.ledger.unfinished),
            str(f.ledger.completed_twice + f.ledger.claimed_twice),
            str(f.ledger.ran_twice),
            f.recovered_in,
            "-" if f.wall_seconds is None else f"{f.wall_seconds:.1f} s",
        )
        for f in FIGURES
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * width for width in widths), *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        terminalreporter.write_line("| " + " | ".join(cells) + " |")


# --- the parts ----------------------------------------------------------------------------


async def register_chaos_type(db: asyncpg.Connection) -> None:
    """The handlers' type, in a database of a scenario's own (which no producer API serves)."""
    await db.execute(
        """INSERT INTO job_types (name, payload_schema) VALUES ($1, '{"type": "object"}')
           ON CONFLICT (name) DO NOTHING""",
        JOB_TYPE,
    )


async def insert_chaos_jobs(
    db: asyncpg.Connection,
    count: int,
    *,
    sleep_ms: int = 0,
    fail_once_every: int = 0,
    fail_twice_every: int = 0,
    max_attempts: int = 3,
) -> None:
    """`count` jobs of the chaos type, each taking `sleep_ms`: every `fail_once_every`-th
    fails its first attempt, every `fail_twice_every`-th its first two (0: none does)."""
    await db.execute(
        """
        INSERT INTO jobs (type, payload, max_attempts)
        SELECT $2, jsonb_build_object('n', n, 'sleep_ms', $3::integer, 'fail_times',
                   CASE WHEN n % nullif($5, 0) = 0 THEN 2
                        WHEN n % nullif($4, 0) = 0 THEN 1
                        ELSE 0 END),
               $6
        FROM generate_series(1, $1) AS n
        """,
        count,
        JOB_TYPE,
        sleep_ms,
        fail_once_every,
        fail_twice_every,
        max_attempts,
    )


@pytest.fixture(autouse=True)
async def chaos_type(api: httpx.AsyncClient) -> None:
    """The handlers' type, registered anew for each test (clean_db drops custom types)."""
    await register_type(api, JOB_TYPE, {"schema": {"type": "object"}})


@pytest.fixture(scope="package")
def chaos_workers(database_url: str) -> Iterator[list[str]]:
    """Two worker services on the test database, as a deployment with two replicas. Gone
    after the chaos tests: their rescuer (every 0.5 s), deliverer and scheduler would
    otherwise act behind the backs of the tests that follow on the same database."""
    env = {"DATABASE_URL": database_url, **WORKER_ENV}
    with ExitStack() as stack:
        yield [
            stack.enter_context(uvicorn_server("worker_service.main:app", env)) for _ in range(2)
        ]


@dataclass
class Fleet:
    """Runner processes of the chaos type, each stopped by its PID at the end of the test."""

    token: str
    directory: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    stopping: bool = False

    @property
    def run_log(self) -> Path:
        return self.directory / "runs.log"

    def start(self, worker_url: str, *args: str, **settings: object) -> subprocess.Popen[bytes]:
        env = {
            "WORKER_SERVICE_URL": worker_url,
            "JOBDECK_TOKEN": self.token,
            "HEARTBEAT_INTERVAL_SECONDS": "0.5",
            "SHUTDOWN_GRACE_SECONDS": "5",
            "OUTBOX_DIR": str(self.directory / "outbox"),
            "LOG_LEVEL": "WARNING",
            RUN_LOG: str(self.run_log),
            **{name.upper(): str(value) for name, value in settings.items()},
        }
        arguments = ["--handlers", "tests.chaos.handlers", "--types", JOB_TYPE, *args]
        log = self.directory / f"runner-{len(self.started)}.log"
        process = processes.start_runner(arguments, env, log)
        self.started.append(process)
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return (self.directory / f"runner-{self.started.index(process)}.log").read_text()

    async def keep_running(self, worker_url: str, *args: str, **settings: object) -> list[int]:
        """Run a runner, and a new one each time one dies, as a supervisor would, until
        stop_all(); the exit codes of those that died."""
        deaths: list[int] = []
        while not self.stopping:
            process = self.start(worker_url, *args, **settings)
            code = await asyncio.to_thread(process.wait)
            if self.stopping:
                break
            deaths.append(code)
        return deaths

    async def stop_all(self, seconds: float = 20) -> list[int]:
        """SIGTERM each runner still running and await its exit; their exit codes."""
        self.stopping = True
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        return [
            await asyncio.wait_for(asyncio.to_thread(process.wait), seconds)
            for process in self.started
        ]

    def kill_all(self) -> None:
        # Supervisors first: else each kill starts a new runner, outliving a failed test.
        self.stopping = True
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
async def fleet(tokens: dict[Role, str], tmp_path: Path) -> AsyncIterator[Fleet]:
    runners = Fleet(tokens[Role.RUNNER], tmp_path)
    try:
        yield runners
    finally:
        runners.kill_all()


# --- the lifecycle model's own database and services (scenarios 8 and 9) --------------------

# Hour-long leases and back-offs, and a rescuer that waits as long: time passes only when a
# test says so, and no other service's rescuer acts on the model's jobs.
HOUR = "3600"


@pytest.fixture(scope="session")
def model_database_url(server_url: str) -> Iterator[str]:
    with migrated_database(server_url, "jobdeck_model") as url:
        yield url


@pytest.fixture(scope="session")
def model_services(model_database_url: str) -> Iterator[tuple[str, str]]:
    """The producer API and a worker service on the model's database (tests/chaos/lifecycle.py)."""
    env = {
        "DATABASE_URL": model_database_url,
        "DB_POOL_SIZE": "2",
        "LEASE_SECONDS": HOUR,
        "RETRY_BASE_DELAY_SECONDS": HOUR,
        "RESCUE_INTERVAL_SECONDS": HOUR,
    }
    with (
        uvicorn_server("producer_api.main:app", env) as producer_url,
        uvicorn_server("worker_service.main:app", env) as worker_url,
    ):
        yield producer_url, worker_url


@pytest.fixture(scope="session")
async def model_tokens(model_database_url: str) -> dict[Role, str]:
    return await create_tokens(model_database_url, prefix="model")
