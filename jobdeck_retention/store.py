"""RetentionStore: the only code that runs jobdeck_retention/queries.sql."""

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from job_contract import JobStatus
from job_contract.retention import RETIRED_STATUSES, CleanupRun, CleanupTrigger, TableSize
from jobdeck_db.queries import load_queries
from jobdeck_db.sessions import server_settings, use_json_codecs
from jobdeck_retention.archive import Archive
from jobdeck_retention.lines import job_line

QUERIES = load_queries(Path(__file__).with_name("queries.sql"))

# The tables the maintenance page sizes: a job's rows live in these.
SIZED_TABLES = ("jobs", "job_events", "job_artifacts", "job_search")
# Lets other cleaners' passes skip while one runs (any constant unique to this use).
_CLEANER_LOCK = 0x6A6F62_636C6E  # "job" "cln"


async def create_retention_pool(database_url: str) -> asyncpg.Pool:
    """A small pool of its own: cleaning is rare, and must not take the hot path's connections."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=3,
        init=use_json_codecs,
        timeout=5,
        command_timeout=300,
        server_settings=server_settings("jobdeck-retention"),
    )
    return pool


class RetentionStore:
    def __init__(self, database: asyncpg.Pool | asyncpg.Connection) -> None:
        # A pool in the services, one connection in the `jobdeck` command.
        self._database = database

    async def count_expired(self, status: JobStatus, days: int) -> int:
        count: int = await self._database.fetchval(QUERIES["job_retire_count"], status, days)
        return count

    async def retire_batch(
        self, status: JobStatus, days: int, limit: int, archive: Archive | None
    ) -> tuple[int, list[str]]:
        """Delete up to `limit` expired jobs of `status` in one transaction, archived first;
        how many went, and the archive files written."""
        async with _connection(self._database) as conn, conn.transaction():
            locked = await conn.fetch(QUERIES["job_retire_lock"], status, days, limit)
            ids = [row["id"] for row in locked]
            if not ids:
                return 0, []
            files: list[str] = []
            if archive is not None:
                rows = await conn.fetch(QUERIES["job_archive_rows"], ids)
                # Written and fsynced while the rows are still locked and not yet deleted.
                files = archive.append((row["finished_at"], job_line(row)) for row in rows)
            deleted = await conn.fetch(QUERIES["job_retire_delete"], ids)
            return sum(row["n"] for row in deleted), files

    async def try_lock_cleaner(self, conn: asyncpg.Connection) -> bool:
        locked: bool = await conn.fetchval("SELECT pg_try_advisory_lock($1)", _CLEANER_LOCK)
        return locked

    async def unlock_cleaner(self, conn: asyncpg.Connection) -> None:
        await conn.execute("SELECT pg_advisory_unlock($1)", _CLEANER_LOCK)

    async def record_run(
        self,
        *,
        started_at: datetime,
        duration_ms: int,
        trigger: CleanupTrigger,
        requested_by: str | None,
        dry_run: bool,
        deleted: Mapping[JobStatus, int],
        archived_to: str | None,
        archive_files: list[str],
        error: str | None,
    ) -> CleanupRun:
        row = await self._database.fetchrow(
            QUERIES["cleanup_run_insert"],
            started_at,
            duration_ms,
            trigger.value,
            requested_by,
            dry_run,
            {status.value: count for status, count in deleted.items()},
            archived_to,
            archive_files,
            error,
        )
        return _run(row)

    async def seconds_since_scheduled_run(self) -> float | None:
        since: float | None = await self._database.fetchval(
            QUERIES["cleanup_run_seconds_since_scheduled"]
        )
        return since

    async def history(self, limit: int) -> list[CleanupRun]:
        return [_run(row) for row in await self._database.fetch(QUERIES["cleanup_run_list"], limit)]

    async def table_sizes(self) -> dict[str, TableSize]:
        rows = await self._database.fetch(QUERIES["table_sizes"], list(SIZED_TABLES))
        found = {
            row["name"]: TableSize(bytes=row["bytes"], rows_estimate=row["rows_estimate"])
            for row in rows
        }
        return {name: found[name] for name in SIZED_TABLES if name in found}


def _run(row: Mapping[str, Any]) -> CleanupRun:
    # jsonb keeps keys in its own order: give them back in the statuses' order.
    deleted = {status: row["deleted"].get(status.value, 0) for status in RETIRED_STATUSES}
    return CleanupRun.model_validate({**row, "deleted": deleted})


@contextlib.asynccontextmanager
async def _connection(
    database: asyncpg.Pool | asyncpg.Connection,
) -> AsyncIterator[asyncpg.Connection]:
    if isinstance(database, asyncpg.Pool):
        async with database.acquire() as conn:
            yield conn
    else:
        yield database
