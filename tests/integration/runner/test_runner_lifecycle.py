"""Real runner processes: graceful stops, crashes, lost leases and bad payloads."""

import asyncio
import signal
import subprocess
from functools import partial
from pathlib import Path

import asyncpg
import httpx

from jobdeck_access.roles import Role
from tests.eventually import eventually, value_becomes
from tests.factories import insert_jobs
from tests.integration.runner.conftest import StartRunner
from tests.integration.worker.conftest import claims_waiting_become
from worker_service.rescuer import Rescuer

PUSH = '{"user_id": "u-1", "channel": "push", "message": "hello"}'
COMPLETED = "SELECT count(*) FROM jobs WHERE status = 'completed'"
PROCESSING = "SELECT count(*) FROM jobs WHERE status = 'processing'"
STATUS_OF_THE_JOB = "SELECT status FROM jobs"  # in tests with one job


async def exit_code(process: subprocess.Popen[bytes], seconds: float = 15) -> int:
    return await asyncio.wait_for(asyncio.to_thread(process.wait), seconds)


async def test_runner_completes_jobs_and_reports_itself(
    start_runner: StartRunner, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 20, type="notification", payload=PUSH)

    runner = start_runner("--concurrency", "4", "--worker-id", "runner-one")
    await value_becomes(partial(db.fetchval, COMPLETED), 20)
    await value_becomes(
        partial(db.fetchval, "SELECT processed FROM workers WHERE worker_id = 'runner-one'"), 20
    )
    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    assert (
        await db.fetchval(
            "SELECT count(DISTINCT worker_id) FROM job_events WHERE kind = 'completed'"
        )
        == 1
    )
    assert await db.fetchval("SELECT stopped_at IS NOT NULL FROM workers") is True


async def test_sigterm_finishes_jobs_in_flight_and_claims_no_more(
    start_runner: StartRunner, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 8, type="notification", payload=PUSH)
    runner = start_runner(
        "--concurrency", "4", simulated_duration_ms=1500, shutdown_grace_seconds=10
    )
    await value_becomes(partial(db.fetchval, PROCESSING), 4)

    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    counts = dict(await db.fetch("SELECT status, count(*) FROM jobs GROUP BY status"))
    assert counts == {"completed": 4, "pending": 4}


async def test_sigterm_fails_back_what_the_grace_period_cannot_finish(
    start_runner: StartRunner, db: asyncpg.Connection
) -> None:
    [job_id] = await insert_jobs(db, type="notification", payload=PUSH)
    runner = start_runner(simulated_duration_ms=60_000, shutdown_grace_seconds=0.5)
    await value_becomes(partial(db.fetchval, STATUS_OF_THE_JOB), "processing")

    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner, seconds=5) == 0
    row = await db.fetchrow("SELECT status, attempts, error FROM jobs WHERE id = $1", job_id)
    assert tuple(row) == ("pending", 1, "runner shut down before finishing")


async def test_jobs_of_a_killed_runner_are_rescued_and_completed_once(
    start_runner: StartRunner, db: asyncpg.Connection, rescuer: Rescuer
) -> None:
    await insert_jobs(db, 3, type="notification", payload=PUSH)
    doomed = start_runner(
        "--concurrency", "3", "--worker-id", "doomed", simulated_duration_ms=60_000
    )
    await value_becomes(partial(db.fetchval, PROCESSING), 3)

    doomed.send_signal(signal.SIGKILL)
    assert await exit_code(doomed) == -signal.SIGKILL
    # Its leases run out (backdated rather than waited for), and a rescuer pass frees them.
    await db.execute("UPDATE jobs SET locked_until = now() - interval '1 second'")
    assert await rescuer.run_once() == 3
    survivor = start_runner("--concurrency", "3", "--worker-id", "survivor")
    await value_becomes(partial(db.fetchval, COMPLETED), 3)
    survivor.send_signal(signal.SIGTERM)

    assert await exit_code(survivor) == 0
    events = dict(await db.fetch("SELECT kind, count(*) FROM job_events GROUP BY kind"))
    assert events == {
        "claimed": 6,
        "rescued": 3,
        "completed": 3,
    }  # rows inserted by SQL: no "created"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM job_events WHERE kind = 'completed' AND worker_id = 'survivor'"
        )
        == 3
    )


async def test_a_runner_abandons_a_job_whose_lease_it_lost(
    start_runner: StartRunner, db: asyncpg.Connection, tmp_path: Path
) -> None:
    [job_id] = await insert_jobs(db, type="notification", payload=PUSH)
    # Work and grace both longer than exit_code() waits: a runner still working on the job
    # when told to stop would hold its exit for the grace period, then fail the job back.
    runner = start_runner(
        "--worker-id", "slowpoke", simulated_duration_ms=60_000, shutdown_grace_seconds=60
    )
    await value_becomes(partial(db.fetchval, STATUS_OF_THE_JOB), "processing")

    # Another runner takes the job over (as if the lease had expired and it was reclaimed).
    await db.execute(
        """UPDATE jobs SET locked_by = 'usurper', attempts = attempts + 1,
                           locked_until = now() + interval '1 hour'
           WHERE id = $1""",
        job_id,
    )
    log = tmp_path / "runner-0.log"

    async def runner_log() -> str:
        return log.read_text()

    # The next heartbeat hears the job is lost; the runner says so when it abandons it.
    await eventually(runner_log, until=lambda text: f"lost the lease of job {job_id}" in text)
    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    row = await db.fetchrow("SELECT status, locked_by FROM jobs WHERE id = $1", job_id)
    assert tuple(row) == ("processing", "usurper")
    assert (
        await db.fetchval(
            """SELECT count(*) FROM job_events
               WHERE kind IN ('completed', 'failed', 'retry_scheduled')"""
        )
        == 0
    )


async def test_an_invalid_payload_fails_at_once_without_retries(
    start_runner: StartRunner, db: asyncpg.Connection
) -> None:
    [job_id] = await insert_jobs(db, type="email", payload='{"to": "not-an-address"}')

    runner = start_runner()
    await value_becomes(partial(db.fetchval, STATUS_OF_THE_JOB), "failed")
    runner.send_signal(signal.SIGTERM)

    row = await db.fetchrow("SELECT attempts, error FROM jobs WHERE id = $1", job_id)
    assert row["attempts"] == 1
    assert row["error"].startswith("invalid payload")
    assert await exit_code(runner) == 0


async def test_simulated_failures_go_through_the_retry_path(
    start_runner: StartRunner, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, type="notification", payload=PUSH, max_attempts=2)

    runner = start_runner(simulated_failure_rate=1)
    await value_becomes(partial(db.fetchval, STATUS_OF_THE_JOB), "failed")
    runner.send_signal(signal.SIGTERM)

    kinds = [row["kind"] for row in await db.fetch("SELECT kind FROM job_events ORDER BY id")]
    assert kinds == ["claimed", "retry_scheduled", "claimed", "failed"]
    assert "simulated failure" in await db.fetchval("SELECT error FROM jobs")
    assert await exit_code(runner) == 0


async def test_jobs_finishing_during_a_heartbeat_are_not_reported_as_lost(
    start_runner: StartRunner, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # Many short jobs and a heartbeat every 0.3 s: completions keep landing while a heartbeat
    # naming those jobs is on its way, which the service answers with "no longer yours".
    await insert_jobs(db, 400, type="notification", payload=PUSH)
    runner = start_runner("--concurrency", "8", simulated_duration_ms=20)
    await value_becomes(partial(db.fetchval, COMPLETED), 400, seconds=60)
    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    log = (tmp_path / "runner-0.log").read_text()
    assert "lost the lease" not in log


async def test_completions_from_busy_slots_share_requests(
    start_runner: StartRunner, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 300, type="notification", payload=PUSH)
    runner = start_runner("--concurrency", "8", "--no-op")
    await value_becomes(partial(db.fetchval, COMPLETED), 300, seconds=60)
    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    # A request's completions commit together, so they share one completed_at.
    commits = await db.fetchval("SELECT count(DISTINCT completed_at) FROM jobs")
    assert commits < 200
    assert await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'completed'") == 300


async def test_idle_slots_share_one_long_poll_and_its_jobs(
    start_runner: StartRunner, runners_worker_url: str, db: asyncpg.Connection
) -> None:
    runner = start_runner("--concurrency", "8", simulated_duration_ms=3000)
    async with httpx.AsyncClient(base_url=runners_worker_url) as worker:
        # Eight idle slots, one request held by the service for all of them.
        await claims_waiting_become(worker, 1)
        await insert_jobs(db, 12, type="notification", payload=PUSH)
        # Each slot runs one job at a time: eight run, four wait for a slot to free.
        await value_becomes(partial(db.fetchval, PROCESSING), 8)
        assert await db.fetchval("SELECT count(*) FROM jobs WHERE status = 'pending'") == 4
        await value_becomes(partial(db.fetchval, COMPLETED), 12, seconds=30)
        await claims_waiting_become(worker, 1)
    runner.send_signal(signal.SIGTERM)
    assert await exit_code(runner) == 0


async def test_a_runner_whose_token_is_refused_stops_saying_why(
    start_runner: StartRunner, tokens: dict[Role, str], tmp_path: Path
) -> None:
    unknown = start_runner(jobdeck_token="jd_" + "u" * 43)
    viewer = start_runner(jobdeck_token=tokens[Role.VIEWER])

    assert await exit_code(unknown) == 1
    assert await exit_code(viewer) == 1
    unknown_said = (tmp_path / "runner-0.log").read_text()
    viewer_said = (tmp_path / "runner-1.log").read_text()
    assert "refused JOBDECK_TOKEN (401, unknown, expired or revoked)" in unknown_said
    assert "refused JOBDECK_TOKEN (403, not a runner token)" in viewer_said
    assert tokens[Role.VIEWER] not in viewer_said
