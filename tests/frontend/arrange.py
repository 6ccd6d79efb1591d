"""Arranging the world for dashboard tests: jobs created through the API, put into a given
state directly in the database, and addresses where nothing answers.

Setting a job's state in SQL (events included) arranges exactly the rows a page must show,
whatever the queue's order; the worker service and runners are tested on their own, and
tests/e2e watches a real runner move a job along.
"""

import asyncpg
import httpx

from tests.factories import email_job
from tests.servers import free_port

RUNNER = "runner-test-1"


def nothing_listens() -> str:
    """A loopback URL where no server answers (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}"


async def create_job(api: httpx.AsyncClient, job: dict | None = None) -> dict:
    response = await api.post("/jobs", json=job or email_job())
    assert response.status_code == 201, response.text
    return response.json()


async def claim(db: asyncpg.Connection, job_id: str, runner: str = RUNNER) -> None:
    await db.execute(
        """
        WITH claimed AS (
            UPDATE jobs SET status = 'processing', attempts = attempts + 1, locked_by = $2,
                   locked_until = now() + interval '1 minute', updated_at = now()
            WHERE id = $1 RETURNING id, attempts
        )
        INSERT INTO job_events (job_id, kind, attempt, worker_id)
        SELECT id, 'claimed', attempts, $2 FROM claimed
        """,
        job_id,
        runner,
    )


async def complete(
    db: asyncpg.Connection, job_id: str, result: str = '{"delivered": true}'
) -> None:
    await db.execute(
        """
        WITH done AS (
            UPDATE jobs SET status = 'completed', result = $2::jsonb, completed_at = now(),
                   updated_at = now(), locked_until = NULL
            WHERE id = $1 RETURNING id, attempts, locked_by
        )
        INSERT INTO job_events (job_id, kind, attempt, worker_id)
        SELECT id, 'completed', attempts, locked_by FROM done
        """,
        job_id,
        result,
    )


async def fail(db: asyncpg.Connection, job_id: str, error: str = "SMTP server said no") -> None:
    """A last attempt that failed: the job ends `failed` with the error."""
    await db.execute(
        """
        WITH failed AS (
            UPDATE jobs SET status = 'failed', error = $2, updated_at = now(),
                   locked_by = NULL, locked_until = NULL
            WHERE id = $1 RETURNING id, attempts
        )
        INSERT INTO job_events (job_id, kind, attempt, worker_id, detail)
        SELECT id, 'failed', attempts, $3, $2 FROM failed
        """,
        job_id,
        error,
        RUNNER,
    )
