"""Custom job types through real runner processes: handlers plugged in with --handlers (the
README's example module), types with no handler, modules the runner refuses, timeouts."""

import asyncio
import json
import signal
import subprocess
from functools import partial
from pathlib import Path

import asyncpg
import httpx
from PIL import Image

from tests.eventually import eventually, value_becomes
from tests.factories import change_controls, insert_jobs, register_type
from tests.integration.runner.conftest import StartRunner
from tests.servers import REPO_ROOT

EXAMPLES = REPO_ROOT / "docs" / "examples"
RESIZE_IMAGE = json.loads((EXAMPLES / "resize_image.type.json").read_text())
PUSH = '{"user_id": "u-1", "channel": "push", "message": "hello"}'
ANY_OBJECT = {"schema": {"type": "object"}}
JOB = "SELECT status, attempts, max_attempts, error, result FROM jobs WHERE id = $1"


async def exit_code(process: subprocess.Popen[bytes], seconds: float = 15) -> int:
    return await asyncio.wait_for(asyncio.to_thread(process.wait), seconds)


async def status_of(db: asyncpg.Connection, job_id: str) -> str:
    status: str = await db.fetchval("SELECT status FROM jobs WHERE id = $1", job_id)
    return status


async def test_a_plugged_in_handler_runs_its_custom_type(
    start_runner: StartRunner, api: httpx.AsyncClient, db: asyncpg.Connection, tmp_path: Path
) -> None:
    await register_type(api, "resize_image", RESIZE_IMAGE)
    Image.new("RGB", (800, 600), "teal").save(tmp_path / "cat.png")
    payload = {"source": str(tmp_path / "cat.png"), "width": 200}
    [job_id] = await insert_jobs(db, type="resize_image", payload=json.dumps(payload))

    # As the README starts it: the example module on the import path, no --types.
    runner = start_runner("--handlers", "resize_image", pythonpath=EXAMPLES)
    await value_becomes(partial(status_of, db, job_id), "completed")
    runner.send_signal(signal.SIGTERM)

    job = await db.fetchrow(JOB, job_id)
    target = tmp_path / "cat.200w.png"
    assert json.loads(job["result"]) == {"target": str(target), "width": 200, "height": 150}
    with Image.open(target) as resized:
        assert resized.size == (200, 150)
    assert await exit_code(runner) == 0


async def test_handlers_named_in_runner_handlers_are_plugged_in_too(
    start_runner: StartRunner, api: httpx.AsyncClient, db: asyncpg.Connection, tmp_path: Path
) -> None:
    await register_type(api, "resize_image", RESIZE_IMAGE)
    payload = {"source": str(tmp_path / "missing.png"), "width": 10}
    [job_id] = await insert_jobs(db, type="resize_image", payload=json.dumps(payload))

    runner = start_runner(runner_handlers="resize_image", pythonpath=EXAMPLES)
    await value_becomes(partial(status_of, db, job_id), "failed")
    runner.send_signal(signal.SIGTERM)

    # The handler's PermanentFailure: failed at the first attempt, not retried.
    job = await db.fetchrow(JOB, job_id)
    assert (job["attempts"], job["max_attempts"]) == (1, 3)
    assert job["error"].startswith(f"cannot read {tmp_path / 'missing.png'}")
    assert await exit_code(runner) == 0


async def test_a_type_without_a_handler_fails_at_once_naming_it(
    start_runner: StartRunner, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await register_type(api, "sync_crm", ANY_OBJECT)
    [job_id] = await insert_jobs(db, type="sync_crm", payload="{}")

    runner = start_runner("--types", "sync_crm,email")
    await value_becomes(partial(status_of, db, job_id), "failed")
    runner.send_signal(signal.SIGTERM)

    job = await db.fetchrow(JOB, job_id)
    assert (job["attempts"], job["max_attempts"]) == (1, 3)
    assert job["error"].startswith("no handler for type sync_crm on this runner")
    assert await exit_code(runner) == 0


async def test_without_types_a_runner_claims_only_what_it_can_handle(
    start_runner: StartRunner, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await register_type(api, "sync_crm", ANY_OBJECT)
    # More urgent and older: a runner claiming any type would take it first.
    [unhandled] = await insert_jobs(db, type="sync_crm", payload="{}", priority=5)
    [handled] = await insert_jobs(db, type="notification", payload=PUSH, priority=1)

    runner = start_runner("--concurrency", "1")
    await value_becomes(partial(status_of, db, handled), "completed")
    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    assert await status_of(db, unhandled) == "pending"
    assert await db.fetchval("SELECT attempts FROM jobs WHERE id = $1", unhandled) == 0


async def test_a_runner_refuses_to_start_with_handlers_it_cannot_use(
    start_runner: StartRunner, db: asyncpg.Connection, tmp_path: Path
) -> None:
    [job_id] = await insert_jobs(db, type="notification", payload=PUSH)

    missing = start_runner("--handlers", "resize_image,no_such_jobs", pythonpath=EXAMPLES)
    without_handlers = start_runner(runner_handlers="json")  # a module, but no HANDLERS
    misnamed = start_runner("--types", "email,Resize")

    assert await exit_code(missing) == 1
    assert await exit_code(without_handlers) == 1
    assert await exit_code(misnamed) == 2  # argparse's usage error
    assert (
        "Resize: a job type name is a lower-case letter" in (tmp_path / "runner-2.log").read_text()
    )
    [missing_said] = (tmp_path / "runner-0.log").read_text().strip().splitlines()[-1:]
    [json_said] = (tmp_path / "runner-1.log").read_text().strip().splitlines()[-1:]
    assert missing_said == (
        "Not started: --handlers no_such_jobs: cannot import it"
        " (ModuleNotFoundError: No module named 'no_such_jobs')"
    )
    assert json_said.startswith("Not started: --handlers json: the module needs HANDLERS")
    # Refused before claiming anything.
    assert await status_of(db, job_id) == "pending"


HANGS = """
import asyncio

async def hang(job):
    await asyncio.sleep(3600)
    return {}

HANDLERS = {"hangs": hang}
"""


async def test_a_real_runner_gives_up_on_a_job_after_its_types_timeout(
    start_runner: StartRunner, api: httpx.AsyncClient, db: asyncpg.Connection, tmp_path: Path
) -> None:
    (tmp_path / "hanging_jobs.py").write_text(HANGS)
    await register_type(api, "hangs", ANY_OBJECT)
    await change_controls(api, "hangs", timeout_seconds=0.5)
    [job_id] = await insert_jobs(db, type="hangs", payload="{}", max_attempts=2)

    runner = start_runner("--handlers", "hanging_jobs", pythonpath=tmp_path)

    async def the_job() -> asyncpg.Record:
        job: asyncpg.Record = await db.fetchrow(JOB, job_id)
        return job

    # Each attempt times out and is retried (no back-off here) until none is left.
    job = await eventually(the_job, until=lambda job: job["status"] == "failed", seconds=10)
    runner.send_signal(signal.SIGTERM)
    assert (job["attempts"], job["error"]) == (2, "timed out after 0.5 s")
    assert await exit_code(runner) == 0
