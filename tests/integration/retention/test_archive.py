"""ARCHIVE_DIR: each deleted job lands once in its finish day's file, before its rows go;
a failure between the two leaves a duplicate line at worst, never a lost job."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from job_contract.retention import CleanupTrigger
from jobdeck_retention.archive import archive_file_name
from jobdeck_retention.cleaner import Cleaner, CleanerSettings, Cleanup, CleanupStopped
from jobdeck_retention.settings import RetentionSettings
from jobdeck_retention.store import RetentionStore, create_retention_pool
from tests.factories import insert_finished_jobs
from tests.integration.retention.conftest import deletes_refused
from tests.servers import REPO_ROOT


def settings(archive: Path, batch_size: int = 2) -> RetentionSettings:
    return RetentionSettings(archive_dir=archive, cleanup_batch_size=batch_size)


def archived(archive: Path) -> dict[str, list[dict[str, Any]]]:
    """Each file's lines, parsed."""
    return {
        path.name: [json.loads(line) for line in path.read_text().splitlines()]
        for path in sorted(archive.glob("jobs-*.ndjson"))
    }


async def test_deleted_jobs_are_appended_to_their_finish_days_file_once(
    db: asyncpg.Connection, retention: RetentionStore, tmp_path: Path
) -> None:
    ten = await insert_finished_jobs(db, 3, "completed", 10)
    forty = await insert_finished_jobs(db, 2, "failed", 40)
    kept = await insert_finished_jobs(db, 1, "completed", 1)
    await db.execute(
        "INSERT INTO job_events (job_id, kind, attempt, detail) VALUES ($1, 'completed', 1, 'ok')",
        ten[0],
    )
    finished = "SELECT updated_at FROM jobs WHERE id = $1"
    days = {
        name: archive_file_name(await db.fetchval(finished, ids[0]))
        for name, ids in (("ten", ten), ("forty", forty))
    }

    run = await Cleanup(retention, settings(tmp_path)).run(CleanupTrigger.CLI, "someone")

    files = archived(tmp_path)
    assert set(files) == set(days.values())
    assert sorted(job["id"] for job in files[days["ten"]]) == sorted(ten)
    assert sorted(job["id"] for job in files[days["forty"]]) == sorted(forty)
    first = next(job for job in files[days["ten"]] if job["id"] == ten[0])
    assert first["status"] == "completed" and first["payload"] == {"to": "a@example.com"}
    assert [(e["kind"], e["detail"]) for e in first["events"]] == [("completed", "ok")]
    assert {str(row["id"]) for row in await db.fetch("SELECT id FROM jobs")} == set(kept)
    assert run.archived_to == str(tmp_path)
    assert run.archive_files == sorted(days.values())
    assert run.deleted == {"completed": 3, "failed": 2, "cancelled": 0}


async def test_a_delete_that_fails_after_the_archive_loses_no_job(
    db: asyncpg.Connection, retention: RetentionStore, tmp_path: Path
) -> None:
    jobs = set(await insert_finished_jobs(db, 3, "completed", 9))
    cleanup = Cleanup(retention, settings(tmp_path, batch_size=10))
    # The crash: the archive is on disk, then the delete never commits.
    async with deletes_refused(db):
        with pytest.raises(CleanupStopped, match="disk on fire"):
            await cleanup.run(CleanupTrigger.SCHEDULE)
        in_archive = [job["id"] for lines in archived(tmp_path).values() for job in lines]
        assert sorted(in_archive) == sorted(jobs)
        assert await db.fetchval("SELECT count(*) FROM jobs") == 3

    await cleanup.run(CleanupTrigger.SCHEDULE)

    in_archive = [job["id"] for lines in archived(tmp_path).values() for job in lines]
    assert set(in_archive) == jobs and len(in_archive) == 6  # each twice: none lost
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0
    failed, succeeded = await db.fetch(
        "SELECT error, deleted FROM cleanup_runs ORDER BY started_at"
    )
    assert "disk on fire" in failed["error"]
    assert succeeded["error"] is None


async def test_scheduled_passes_take_turns_across_replicas(
    db: asyncpg.Connection, retention_pool: asyncpg.Pool, database_url: str
) -> None:
    await insert_finished_jobs(db, 5, "cancelled", 8)
    other_pool = await create_retention_pool(database_url)  # another worker service's
    try:
        replicas = [
            Cleaner(pool, RetentionSettings(), CleanerSettings())
            for pool in (retention_pool, other_pool)
        ]
        runs = await asyncio.gather(*(replica.run_once() for replica in replicas))
    finally:
        await other_pool.close()

    [ran] = [run for run in runs if run is not None]
    assert ran.deleted["cancelled"] == 5
    assert (ran.trigger, ran.requested_by) == ("schedule", None)
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0
    # The next pass, on either replica, finds this interval's run done.
    await insert_finished_jobs(db, 1, "cancelled", 8)
    assert await replicas[0].run_once() is None
    assert await db.fetchval("SELECT count(*) FROM cleanup_runs") == 1


async def test_jobdeck_cleanup_previews_then_deletes(
    db: asyncpg.Connection, database_url: str, tmp_path: Path
) -> None:
    await insert_finished_jobs(db, 4, "completed", 12)
    env = {**os.environ, "DATABASE_URL": database_url, "ARCHIVE_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "jobdeck_cli"]

    def cleanup(*options: str) -> str:
        done = subprocess.run(
            [*command, "cleanup", *options],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()

    preview = await asyncio.to_thread(cleanup, "--dry-run")
    assert preview.startswith("would delete 4 completed, 0 failed, 0 cancelled in ")
    assert await db.fetchval("SELECT count(*) FROM jobs") == 4

    done = await asyncio.to_thread(cleanup)
    assert done.startswith("deleted 4 completed, 0 failed, 0 cancelled in ")
    assert done.endswith(f"; archived to {tmp_path}")
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0
    triggers = await db.fetch("SELECT trigger, dry_run FROM cleanup_runs ORDER BY started_at")
    assert [(row["trigger"], row["dry_run"]) for row in triggers] == [("cli", True), ("cli", False)]
