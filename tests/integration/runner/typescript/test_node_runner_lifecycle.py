"""The TypeScript runner's life with others: a SIGTERM drain, fail-back after the grace
period, a lost lease abandoned, kill -9 recovered by the rescuer, a Python and a Node runner
draining one queue, and an outcome sent again until the service acknowledges it."""

import asyncio
import json
import signal
import subprocess
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.eventually import eventually, value_becomes
from tests.factories import insert_jobs
from tests.integration.runner.conftest import StartRunner
from tests.integration.runner.typescript.conftest import StartNodeRunner
from tests.netproxy import DatabaseProxy
from worker_service.rescuer import Rescuer

pytestmark = pytest.mark.usefixtures("ts_types")

COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"
PROCESSING = "SELECT count(*) FROM jobs WHERE status = 'processing'"
STATUS_OF_THE_JOB = "SELECT status FROM jobs"  # in tests with one job
PUSH = '{"user_id": "u-1", "channel": "push", "message": "hello"}'


def sleeping(ms: int) -> str:
    return json.dumps({"ms": ms})


async def exit_code(process: subprocess.Popen[bytes], seconds: float = 15) -> int:
    return await asyncio.wait_for(asyncio.to_thread(process.wait), seconds)


async def log_says(log: Path, text: str, times: int = 1) -> None:
    async def runner_log() -> str:
        return await asyncio.to_thread(log.read_text)

    await eventually(runner_log, until=lambda written: written.count(text) >= times)


async def runner_holds(tmp_path: Path, jobs: int) -> None:
    """The first runner has received `jobs` claims. A row turns `processing` when the claim
    commits, a moment before its answer reaches the runner: a test acting on the row alone
    could cut or stop the runner while the answer is still on its way."""
    await log_says(tmp_path / "node-runner-0.log", "claimed job", times=jobs)


async def test_sigterm_finishes_jobs_in_flight_and_claims_no_more(
    start_node_runner: StartNodeRunner, db: asyncpg.Connection, tmp_path: Path
) -> None:
    await insert_jobs(db, 4, type="ts_slow", payload=sleeping(1500))
    runner = start_node_runner("--concurrency", "2", shutdown_grace_seconds=10)
    await runner_holds(tmp_path, 2)

    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    counts = dict(await db.fetch("SELECT status, count(*) FROM jobs GROUP BY status"))
    assert counts == {"completed": 2, "pending": 2}
    assert await db.fetchval("SELECT stopped_at IS NOT NULL FROM workers") is True


async def test_sigterm_fails_back_what_the_grace_period_cannot_finish(
    start_node_runner: StartNodeRunner, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # A handler that ignores its signal: the runner exits all the same, its timer unfinished.
    [job_id] = await insert_jobs(db, type="ts_stubborn", payload=sleeping(60_000))
    runner = start_node_runner(shutdown_grace_seconds=0.3)
    await runner_holds(tmp_path, 1)

    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner, seconds=5) == 0
    row = await db.fetchrow("SELECT status, attempts, error FROM jobs WHERE id = $1", job_id)
    assert tuple(row) == ("pending", 1, "runner shut down before finishing")


async def test_a_job_whose_lease_was_lost_is_abandoned_unreported(
    start_node_runner: StartNodeRunner, db: asyncpg.Connection, tmp_path: Path
) -> None:
    [job_id] = await insert_jobs(db, type="ts_slow", payload=sleeping(60_000))
    runner = start_node_runner(shutdown_grace_seconds=60)
    await runner_holds(tmp_path, 1)

    # Another runner takes the job over (as if the lease had expired and it was reclaimed).
    await db.execute(
        """UPDATE jobs SET locked_by = 'usurper', attempts = attempts + 1,
                           locked_until = now() + interval '1 hour'
           WHERE id = $1""",
        job_id,
    )

    # The next heartbeat hears the job is lost: the handler is stopped, nothing reported, and
    # the runner stops at once on SIGTERM, not after the 60 s grace.
    await log_says(tmp_path / "node-runner-0.log", f"lost the lease of job {job_id}")
    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    row = await db.fetchrow("SELECT status, locked_by FROM jobs WHERE id = $1", job_id)
    assert tuple(row) == ("processing", "usurper")
    outcomes = """SELECT count(*) FROM job_events
                  WHERE kind IN ('completed', 'failed', 'retry_scheduled')"""
    assert await db.fetchval(outcomes) == 0


async def test_jobs_of_a_killed_runner_are_rescued_and_completed_once(
    start_node_runner: StartNodeRunner, db: asyncpg.Connection, rescuer: Rescuer
) -> None:
    await insert_jobs(db, 3, type="ts_slow", payload=sleeping(60_000))
    doomed = start_node_runner("--concurrency", "3", "--worker-id", "doomed")
    await value_becomes(partial(db.fetchval, PROCESSING), 3)

    doomed.send_signal(signal.SIGKILL)
    assert await exit_code(doomed) == -signal.SIGKILL
    # Its leases run out (backdated rather than waited for), and a rescuer pass frees them.
    await db.execute(
        """UPDATE jobs SET locked_until = now() - interval '1 second',
                           payload = '{"ms": 1}'"""
    )
    assert await rescuer.run_once() == 3
    survivor = start_node_runner("--concurrency", "3", "--worker-id", "survivor")
    await value_becomes(partial(db.fetchval, COMPLETED), 3)
    survivor.send_signal(signal.SIGTERM)

    assert await exit_code(survivor) == 0
    events = dict(await db.fetch("SELECT kind, count(*) FROM job_events GROUP BY kind"))
    assert events == {"claimed": 6, "rescued": 3, "completed": 3}
    completed_by = "SELECT DISTINCT worker_id FROM job_events WHERE kind = 'completed'"
    assert [row["worker_id"] for row in await db.fetch(completed_by)] == ["survivor"]


async def test_a_python_and_a_node_runner_drain_one_queue_each_job_once(
    start_node_runner: StartNodeRunner, start_runner: StartRunner, db: asyncpg.Connection
) -> None:
    node = start_node_runner("--concurrency", "4", "--types", "notification", "--worker-id", "node")
    python = start_runner("--concurrency", "4", "--worker-id", "python")
    # Both long-polling before the queue fills, so neither drains it alone while the other starts.
    await value_becomes(partial(db.fetchval, "SELECT count(*) FROM workers"), 2)
    await insert_jobs(db, 150, type="notification", payload=PUSH)
    await value_becomes(partial(db.fetchval, COMPLETED), 150, seconds=60)
    node.send_signal(signal.SIGTERM)
    python.send_signal(signal.SIGTERM)

    assert await exit_code(node) == 0
    assert await exit_code(python) == 0
    per_job = await db.fetch(
        "SELECT job_id, count(*) AS n FROM job_events WHERE kind = 'completed' GROUP BY job_id"
    )
    assert len(per_job) == 150
    assert {row["n"] for row in per_job} == {1}
    by_runner = dict(
        await db.fetch(
            "SELECT worker_id, count(*) FROM job_events WHERE kind = 'completed' GROUP BY worker_id"
        )
    )
    assert set(by_runner) == {"node", "python"}
    node_results = 'SELECT count(*) FROM jobs WHERE result = \'{"by": "node"}\''
    assert await db.fetchval(node_results) == by_runner["node"]


async def test_an_unacknowledged_completion_is_sent_again_until_acknowledged(
    start_node_runner: StartNodeRunner,
    runners_worker_url: str,
    db: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    # The runner reaches the worker service through a TCP proxy the test cuts and restores.
    service = urlsplit(runners_worker_url)
    proxy = DatabaseProxy(f"postgresql://x@{service.hostname}:{service.port}/x")
    try:
        [job_id] = await insert_jobs(db, type="ts_slow", payload=sleeping(600))
        runner = start_node_runner(worker_service_url=f"http://127.0.0.1:{proxy.port}")
        await runner_holds(tmp_path, 1)

        proxy.cut()  # the handler finishes while the service cannot be reached
        await log_says(tmp_path / "node-runner-0.log", "could not report")
        proxy.restore()  # within the 2 s lease, so the outcome still counts

        await value_becomes(partial(db.fetchval, STATUS_OF_THE_JOB), "completed")
        runner.send_signal(signal.SIGTERM)
        assert await exit_code(runner) == 0
    finally:
        proxy.close()
    row = await db.fetchrow("SELECT attempts, result FROM jobs WHERE id = $1", job_id)
    assert (row["attempts"], json.loads(row["result"])) == (1, {"slept_ms": 600})
    kinds = [row["kind"] for row in await db.fetch("SELECT kind FROM job_events ORDER BY id")]
    assert kinds == ["claimed", "completed"]
