"""`make run` (python -m devstack) as a person starts it: every service up with its own
secrets, a sign-in hint that shows where the admin token is but not the token, and runners
that work with their token.

One stack serves the whole module (starting one costs seconds of CPU): the tests that only
read it share it, and the Ctrl-C test, which ends it, comes last."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from devstack.databases import migrated_database
from tests.access import bearer
from tests.eventually import eventually
from tests.servers import REPO_ROOT, free_port

READY = "Press Ctrl-C to stop."


@dataclass
class Output:
    """What a process printed so far, read by a thread so its pipe never fills."""

    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def follow(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        stream = process.stdout
        self.reader = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self.reader.start()

    def close(self, process: subprocess.Popen[str]) -> None:
        """Once every process that shared the pipe has exited, it reaches its end."""
        assert self.reader is not None and process.stdout is not None
        self.reader.join(timeout=30)
        process.stdout.close()

    @property
    def text(self) -> str:
        return "".join(self.lines)


@dataclass
class MakeRun:
    process: subprocess.Popen[str]
    output: Output
    data_dir: Path
    database_url: str
    producer_url: str
    frontend_port: int


# SEED=1, as the seed test needs; the runners it would make slow and flaky (SEED's defaults)
# are told to succeed at once, so the other tests' jobs complete as they would without it.
STACK_ENV = {"SEED": "1", "SIMULATED_FAILURE_RATE": "0", "SIMULATED_DURATION_MS": "0"}
SEEDED = 50  # what devstack asks seed.py for
# The one job a test here creates itself, told apart from the seeded ones by its address.
OWN_JOB_TO = "make-run-test@example.org"


@pytest.fixture(scope="module")
def make_run(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeRun]:
    data_dir = tmp_path_factory.mktemp("make-run")
    ports = {name: free_port() for name in ("PRODUCER_API", "WORKER_SERVICE", "FRONTEND")}
    with migrated_database(server_url, "jobdeck_make_run") as database_url:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=REPO_ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "JOBDECK_DATA_DIR": str(data_dir),
                "OUTBOX_DIR": str(data_dir / "outbox"),
                "PYTHONUNBUFFERED": "1",
                **{f"{name}_PORT": str(port) for name, port in ports.items()},
                **STACK_ENV,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = Output()
        output.follow(process)
        try:
            yield MakeRun(
                process,
                output,
                data_dir,
                database_url,
                f"http://localhost:{ports['PRODUCER_API']}",
                ports["FRONTEND"],
            )
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # Ctrl-C, by its PID
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            output.close(process)


async def started(run: MakeRun) -> str:
    async def printed() -> str:
        if run.process.poll() is not None:
            raise AssertionError(f"make run exited {run.process.returncode}:\n{run.output.text}")
        return run.output.text

    return await eventually(printed, lambda text: READY in text, seconds=90, every=0.2)


async def test_make_run_says_how_to_sign_in_without_printing_the_token(make_run: MakeRun) -> None:
    printed = await started(make_run)

    admin_token = (make_run.data_dir / "admin-token").read_text().strip()
    assert f"Sign in at http://localhost:{make_run.frontend_port}" in printed
    assert f"cat {make_run.data_dir / 'admin-token'}" in printed
    assert admin_token not in printed
    assert (make_run.data_dir / "runner-token").read_text().strip() not in printed


async def test_its_runners_work_with_their_token_and_the_admin_token_reaches_the_api(
    make_run: MakeRun,
) -> None:
    await started(make_run)
    admin = bearer((make_run.data_dir / "admin-token").read_text().strip())

    async with httpx.AsyncClient(base_url=make_run.producer_url, headers=admin) as api:
        created = await api.post(
            "/jobs",
            json={
                "type": "email",
                "payload": {"to": OWN_JOB_TO, "subject": "Hi", "body": "Hello"},
            },
        )
        assert created.status_code == 201, created.text

        async def status() -> str:
            answer = await api.get(f"/jobs/{created.json()['id']}")
            return str(answer.json()["status"])

        assert await eventually(status, lambda s: s in ("completed", "failed")) == "completed"


async def test_seed_1_seeds_through_the_api_with_the_admin_token(make_run: MakeRun) -> None:
    await started(make_run)

    async def seeded() -> int:
        connection = await asyncpg.connect(make_run.database_url)
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM jobs WHERE payload->>'to' IS DISTINCT FROM $1",
                    OWN_JOB_TO,
                )
            )
        finally:
            await connection.close()

    assert await eventually(seeded, lambda count: count >= SEEDED, seconds=60, every=0.2) == SEEDED
    assert "seed.py: JOBDECK_TOKEN" not in make_run.output.text


# Last: it ends the module's stack.
async def test_ctrl_c_stops_every_service(make_run: MakeRun) -> None:
    await started(make_run)

    make_run.process.send_signal(signal.SIGINT)

    assert await asyncio.to_thread(make_run.process.wait, 60) == 0
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(httpx.TransportError):
            await client.get(f"{make_run.producer_url}/healthz")
