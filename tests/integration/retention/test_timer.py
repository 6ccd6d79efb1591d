"""The worker service runs the cleaner on its own, every CLEANUP_INTERVAL_SECONDS."""

import json

import asyncpg

from tests.eventually import eventually
from tests.factories import insert_finished_jobs
from tests.servers import uvicorn_server


async def test_the_worker_service_cleans_on_its_timer(
    db: asyncpg.Connection, database_url: str
) -> None:
    await insert_finished_jobs(db, 3, "completed", 8)
    kept = set(await insert_finished_jobs(db, 1, "completed", 2))
    env = {"DATABASE_URL": database_url, "CLEANUP_INTERVAL_SECONDS": "0.5"}

    async def remaining() -> set[str]:
        return {str(row["id"]) for row in await db.fetch("SELECT id FROM jobs")}

    with uvicorn_server("worker_service.main:app", env):
        await eventually(remaining, until=lambda ids: ids == kept)

    runs = await db.fetch("SELECT trigger, requested_by, deleted FROM cleanup_runs ORDER BY id")
    assert (runs[0]["trigger"], runs[0]["requested_by"]) == ("schedule", None)
    deleted = [json.loads(run["deleted"])["completed"] for run in runs]
    assert sum(deleted) == 3  # later passes found nothing more
