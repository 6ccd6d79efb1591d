"""Several worker services on one PostgreSQL: runners spread over them share the queue safely."""

import signal
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from devstack import processes
from jobdeck_access.roles import Role
from tests.eventually import value_becomes
from tests.factories import insert_jobs
from tests.servers import uvicorn_server


@pytest.fixture(scope="module")
def two_worker_services(database_url: str) -> Iterator[list[str]]:
    env = {"DATABASE_URL": database_url}
    with (
        uvicorn_server("worker_service.main:app", env) as first,
        uvicorn_server("worker_service.main:app", env) as second,
    ):
        yield [first, second]


async def test_runners_on_two_worker_services_drain_a_queue_claiming_each_job_once(
    two_worker_services: list[str],
    db: asyncpg.Connection,
    tmp_path: Path,
    tokens: dict[Role, str],
) -> None:
    await insert_jobs(
        db, 600, type="notification", payload='{"user_id": "u", "channel": "push", "message": "m"}'
    )

    async def jobs_not_completed() -> int:
        return int(await db.fetchval("SELECT count(*) FROM jobs WHERE status <> 'completed'"))

    runners = [
        processes.start_runner(
            ["--concurrency", "4", "--batch-size", "10", "--worker-id", f"runner-{i}"],
            {
                "WORKER_SERVICE_URL": two_worker_services[i % 2],
                "JOBDECK_TOKEN": tokens[Role.RUNNER],
                "OUTBOX_DIR": str(tmp_path),
                "LOG_LEVEL": "WARNING",
            },
            tmp_path / f"runner-{i}.log",
        )
        for i in range(4)
    ]
    try:
        await value_becomes(jobs_not_completed, 0, seconds=60)
    finally:
        for runner in runners:
            runner.send_signal(signal.SIGTERM)
        for runner in runners:
            processes.stop(runner, seconds=15)

    assert (
        await db.fetchval("SELECT count(*) FROM jobs WHERE status = 'completed' AND attempts = 1")
        == 600
    )
    assert await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'claimed'") == 600
    assert await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'completed'") == 600
    # Both services handed out work: the runners behind each of them completed jobs.
    by_runner = dict(
        await db.fetch(
            "SELECT worker_id, count(*) FROM job_events WHERE kind = 'completed' GROUP BY 1"
        )
    )
    assert {"runner-0", "runner-1"} <= set(by_runner)
