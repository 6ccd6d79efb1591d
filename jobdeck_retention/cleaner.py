"""The cleaner: one run deletes every expired finished job, a batch per transaction.

`Cleanup.run()` is a run, whoever asked: the worker service's timer (`Cleaner`, a
maintenance service), POST /maintenance/cleanup, or `jobdeck cleanup`. Each run, dry or not,
is recorded in `cleanup_runs`, with the error that stopped it if one did.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from pydantic import Field

from job_contract import JobStatus
from job_contract.retention import RETIRED_STATUSES, CleanupRun, CleanupTrigger
from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_retention.archive import Archive
from jobdeck_retention.settings import RetentionSettings
from jobdeck_retention.store import RetentionStore
from jobdeck_runtime.maintenance import MaintenanceSettings


class CleanupStopped(Exception):
    """the clean-up stopped ({reason}); what it deleted before that is in its history"""

    def __init__(self, reason: str) -> None:
        super().__init__((type(self).__doc__ or "").format(reason=reason))


# What can stop a run half-way: the database (gone, or refusing), the archive's disk.
FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


Rest = Callable[[float], Awaitable[None]]


class Cleanup:
    def __init__(
        self, store: RetentionStore, settings: RetentionSettings, rest: Rest = asyncio.sleep
    ) -> None:
        self._store = store
        self._settings = settings
        self._policy = settings.retention_policy()
        self._rest = rest  # between batches (CLEANUP_DUTY); a test may watch it

    async def run(
        self, trigger: CleanupTrigger, requested_by: str | None = None, *, dry_run: bool = False
    ) -> CleanupRun:
        started_at, clock = datetime.now(UTC), time.monotonic()
        deleted = dict.fromkeys(RETIRED_STATUSES, 0)
        files: set[str] = set()

        async def record(error: str | None) -> CleanupRun:
            archive_dir = self._settings.archive_dir
            return await self._store.record_run(
                started_at=started_at,
                duration_ms=round((time.monotonic() - clock) * 1000),
                trigger=trigger,
                requested_by=requested_by,
                dry_run=dry_run,
                deleted=deleted,
                archived_to=str(archive_dir) if archive_dir and files else None,
                archive_files=sorted(files),
                error=error,
            )

        try:
            for status in RETIRED_STATUSES:
                if dry_run:
                    deleted[status] = await self._store.count_expired(status, self._days(status))
                else:
                    deleted[status] = await self._retire(status, files)
        except FAILURES as failure:
            # Recorded with what was done before it (if the database still answers), then
            # raised as one error the callers report: a 503, the command's exit status 1.
            reason = f"{type(failure).__name__}: {failure}"
            with contextlib.suppress(*FAILURES):
                await record(reason)
            raise CleanupStopped(reason) from failure
        return await record(None)

    async def _retire(self, status: JobStatus, files: set[str]) -> int:
        archive_dir = self._settings.archive_dir
        archive = Archive(archive_dir) if archive_dir else None
        days, batch = self._days(status), self._settings.cleanup_batch_size
        total = 0
        while True:
            started = time.monotonic()
            count, written = await self._store.retire_batch(status, days, batch, archive)
            total += count
            files.update(written)
            if count < batch:
                return total
            await self._rest(self._settings.pause_after(time.monotonic() - started))

    def _days(self, status: JobStatus) -> int:
        return self._policy.retain_days[status]


class CleanerSettings(MaintenanceSettings):
    """CLEANUP_INTERVAL_SECONDS takes its default from here."""

    # Hourly: retention is counted in days, and each run's record is one line of history.
    interval_seconds: float = Field(default=3600, gt=0)


class Cleaner(DatabaseMaintenance[CleanerSettings, CleanupRun | None]):
    """The worker service's timer. The history keeps the pace, not the process: a pass runs
    only when no replica's scheduled run started within the interval (so N replicas clean
    once an interval between them, and frequent restarts neither skip nor repeat cleaning),
    and the advisory lock keeps two from starting at once. A fresh database waits one
    interval after start before its first run."""

    # Replicas' loops drift apart; a run a little short of an interval ago counts as this one.
    _SLACK = 0.9

    def __init__(
        self, pool: asyncpg.Pool, retention: RetentionSettings, settings: CleanerSettings
    ) -> None:
        super().__init__(settings)
        self._pool = pool
        self._store = RetentionStore(pool)
        self._cleanup = Cleanup(self._store, retention)

    async def run_once(self) -> CleanupRun | None:
        """A scheduled run, or None when one ran within the interval or is running now."""
        async with self._pool.acquire() as conn:
            if not await self._store.try_lock_cleaner(conn):
                return None
            try:
                # Read under the lock: a run that just finished elsewhere is seen.
                since = await self._store.seconds_since_scheduled_run()
                if since is not None and since < self.settings.interval_seconds * self._SLACK:
                    return None
                return await self._cleanup.run(CleanupTrigger.SCHEDULE)
            finally:
                await self._store.unlock_cleaner(conn)

    def describe_failure(self, error: Exception) -> str | None:
        if isinstance(error, CleanupStopped):
            return str(error)  # expected, and recorded: a warning, not a bug's traceback
        return super().describe_failure(error)

    async def run_forever(self) -> None:
        await asyncio.sleep(await self._until_due())
        await super().run_forever()

    async def _until_due(self) -> float:
        interval = self.settings.interval_seconds
        try:
            since = await self._store.seconds_since_scheduled_run()
        except FAILURES:
            return interval  # the database is away: the loop's own retries take over then
        return interval if since is None else max(0.0, interval - since)
