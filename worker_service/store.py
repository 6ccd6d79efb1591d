"""WorkerStore: one typed async method per statement of queries.sql; nothing else runs SQL.

Two pools: claims and lease renewals commit without waiting for the WAL flush (a claim lost
in a crash just leaves the job pending again, and the lease covers the rest), while outcomes
(complete, fail, rescue, artifacts) are durable before the runner hears back. The store
answers with typed records, and raises errors.py's errors when a job refuses an outcome.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from job_contract import JobStatus, JobType
from job_contract.bounds import DEFAULT_MAX_ATTEMPTS, REPORT_ROW_CAP
from job_contract.jobs import public_fields
from job_contract.payloads import REPORT_TYPES, ReportType
from job_contract.transitions import HELD
from jobdeck_db.queries import load_queries
from jobdeck_db.sessions import server_settings, use_json_codecs
from worker_service.errors import (
    ArtifactNotExpected,
    AttemptSuperseded,
    HeldByAnother,
    JobNotFound,
    JobNotHeld,
    OutcomeRefused,
)
from worker_service.records import (
    Claim,
    Completion,
    DueSchedule,
    FinishedAttempt,
    FiredSchedule,
    Firing,
    TypeControlState,
)
from worker_service.runners import REMEMBERED_FOR, RunnerSeen, runner_status

QUERIES = load_queries(Path(__file__).with_name("queries.sql"))

# The job_events kinds that record each outcome: what a replayed report is recognised by.
COMPLETED_EVENTS = ["completed"]
FAILED_EVENTS = ["retry_scheduled", "failed"]

# Each report's statement; all bind the date range as $1 and $2, some bind more after it.
REPORT_QUERIES: dict[ReportType, str] = {name: QUERIES[f"report_{name}"] for name in REPORT_TYPES}
_REPORT_ARGUMENTS: dict[ReportType, tuple[object, ...]] = {"failures": (REPORT_ROW_CAP,)}
# Only a report has a file to upload.
ARTIFACT_JOB_TYPE = JobType.REPORT


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Skip asyncpg's reset round trip on release: every statement here is one autocommit
    statement, or a transaction ended before release, that leaves no session state behind
    (no SET, LISTEN or session-level advisory lock: a limited claim's lock ends with its
    transaction)."""


async def create_pool(database_url: str, size: int, durable: bool) -> asyncpg.Pool:
    settings = server_settings("jobdeck-worker-service")
    if not durable:
        settings["synchronous_commit"] = "off"
        # The hot path's statements are written to plan well without their values (id arrays,
        # literal statuses for the partial indexes), yet PostgreSQL's own choice re-planned the
        # claim on every call (600 custom plans of 600): planning cost more than running it.
        # Generic plans: one-job claims 1,085 -> 648 µs; at 1 M pending jobs a claim of 1
        # takes 0.7 ms, of 50 3 ms (bench/README.md, issue #11).
        settings["plan_cache_mode"] = "force_generic_plan"
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=size,
        init=use_json_codecs,
        reset=_keep_session,
        server_settings=settings,
        timeout=5,
        command_timeout=30,
    )
    return pool


class WorkerStore:
    def __init__(
        self,
        durable: asyncpg.Pool,
        fast: asyncpg.Pool,
        lease_seconds: float,
        retry_base_delay_seconds: float,
        retry_max_delay_seconds: float,
    ) -> None:
        self._durable = durable
        self._fast = fast
        self._lease_seconds = lease_seconds
        self._retry_base = retry_base_delay_seconds
        self._retry_max = retry_max_delay_seconds

    # --- claiming -------------------------------------------------------------------------

    async def claim(self, worker_id: str, limit: int, types: Sequence[str] | None) -> list[Claim]:
        """Lease up to `limit` of the most urgent claimable jobs of types with no control set
        (among `types`, or any) to `worker_id`."""
        rows = await self._fast.fetch(
            QUERIES["job_claim"], worker_id, limit, _array(types), self._lease_seconds
        )
        return [_claim(row, self._lease_seconds) for row in rows]

    async def claim_limited(self, worker_id: str, limit: int, job_type: str) -> list[Claim]:
        """Lease up to `limit` jobs of a limited type to `worker_id`, within its controls as
        they are now: its lock first, then the claim (see job_type_lock in queries.sql)."""
        async with self._fast.acquire() as connection, connection.transaction():
            await connection.execute(QUERIES["job_type_lock"], job_type)
            rows = await connection.fetch(
                QUERIES["job_claim_limited"], worker_id, limit, job_type, self._lease_seconds
            )
        return [_claim(row, self._lease_seconds) for row in rows]

    async def claim_of_types(self, worker_id: str, limit: int, types: Sequence[str]) -> list[Claim]:
        """As `claim`, for these types only, read type by type (see job_claim_of_types)."""
        rows = await self._fast.fetch(
            QUERIES["job_claim_of_types"], worker_id, limit, list(types), self._lease_seconds
        )
        return [_claim(row, self._lease_seconds) for row in rows]

    async def type_controls(self) -> list[TypeControlState]:
        """Every type, paused or limited or neither."""
        rows = await self._durable.fetch(QUERIES["job_type_list_controls"])
        return [TypeControlState(row["name"], row["paused"], row["limited"]) for row in rows]

    async def next_claimable_in(self, types: Sequence[str] | None) -> float | None:
        """Seconds until a scheduled or backing-off job becomes claimable, or a rate slot
        frees for a type with jobs waiting on it, if either will happen."""
        waits: list[timedelta | None] = [
            await self._fast.fetchval(QUERIES[name], _array(types))
            for name in ("job_next_scheduled", "job_type_next_rate_slot")
        ]
        known = [wait.total_seconds() for wait in waits if wait is not None]
        return max(min(known), 0.0) if known else None

    async def extend_leases(self, worker_id: str, job_ids: Sequence[UUID]) -> set[UUID]:
        """Renew the leases `worker_id` still holds among `job_ids`; answer those."""
        rows = await self._fast.fetch(
            QUERIES["job_extend_leases"], worker_id, list(job_ids), self._lease_seconds
        )
        return {row["id"] for row in rows}

    # --- outcomes -------------------------------------------------------------------------

    async def complete(
        self, completions: Sequence[Completion], worker_id: str | None
    ) -> list[FinishedAttempt]:
        """Complete the jobs still held by the attempt that ran them, and answer as completed
        those whose completion by that attempt was recorded before (a replay); the others are
        left as they are (a batch answers them as conflicts)."""
        rows = await self._durable.fetch(
            QUERIES["job_complete"],
            [completion.id for completion in completions],
            [completion.attempt for completion in completions],
            [completion.result_json for completion in completions],
            worker_id,
        )
        finished = [_finished(row) for row in rows]
        if len(finished) < len(completions):
            done = {row["id"] for row in rows}
            missed = [(c.id, c.attempt) for c in completions if c.id not in done]
            finished += await self._replayed(missed, worker_id, COMPLETED_EVENTS)
        return finished

    async def complete_one(self, completion: Completion, worker_id: str | None) -> FinishedAttempt:
        """Complete one job; raise JobNotFound or OutcomeRefused saying why not."""
        completed = await self.complete([completion], worker_id)
        if not completed:
            raise await self._refusal(completion.id, completion.attempt)
        return completed[0]

    async def fail(
        self,
        job_id: UUID,
        attempt: int | None,
        worker_id: str | None,
        error: str,
        retryable: bool,
    ) -> FinishedAttempt:
        """Record a failed attempt: back to pending after its back-off, or failed for good.
        Raise JobNotFound or OutcomeRefused when the job is not held by that attempt."""
        row = await self._durable.fetchrow(
            QUERIES["job_fail"],
            job_id,
            attempt,
            worker_id,
            error,
            retryable,
            self._retry_base,
            self._retry_max,
        )
        if row is not None:
            return _finished(row)
        for replayed in await self._replayed([(job_id, attempt)], worker_id, FAILED_EVENTS):
            return replayed
        raise await self._refusal(job_id, attempt)

    async def _replayed(
        self, reports: Sequence[tuple[UUID, int | None]], worker_id: str | None, kinds: list[str]
    ) -> list[FinishedAttempt]:
        """The jobs among `reports` (id, attempt) whose outcome that attempt and runner already
        recorded as one of `kinds`: a retry after a lost answer, which changes nothing."""
        rows = await self._durable.fetch(
            QUERIES["job_replayed_outcomes"],
            [job_id for job_id, _attempt in reports],
            [attempt for _job_id, attempt in reports],
            worker_id,
            kinds,
        )
        return [_finished(row, replayed=True) for row in rows]

    async def put_artifact(
        self, job_id: UUID, content_type: str, filename: str, content: bytes, attempt: int | None
    ) -> None:
        """Store a report's file while its job is processing (in `attempt`, when given)."""
        stored = await self._durable.fetchval(
            QUERIES["job_artifact_put"],
            job_id,
            content_type,
            filename,
            content,
            attempt,
            ARTIFACT_JOB_TYPE,
        )
        if stored is None:
            raise await self._refusal(job_id, attempt, ARTIFACT_JOB_TYPE)

    async def _refusal(
        self, job_id: UUID, attempt: int | None, job_type: JobType | None = None
    ) -> JobNotFound | OutcomeRefused:
        """Why a guarded statement matched nothing, read after the fact: no such job, not
        of `job_type` (when the statement asked for one), or not held by that attempt and
        runner."""
        row = await self._durable.fetchrow(QUERIES["job_get_holder"], job_id)
        if row is None:
            return JobNotFound(job_id)
        if job_type is not None and row["type"] != job_type:
            return ArtifactNotExpected(job_id, row["type"], job_type)
        if row["status"] != HELD:
            return JobNotHeld(job_id, row["status"])
        if attempt is not None and row["attempts"] != attempt:
            return AttemptSuperseded(job_id, current=row["attempts"], reported=attempt)
        return HeldByAnother(job_id, row["locked_by"])

    # --- maintenance ----------------------------------------------------------------------

    async def rescue_expired(self, limit: int) -> int:
        """Return up to `limit` jobs whose lease expired to the queue; answer how many."""
        rows = await self._durable.fetch(QUERIES["job_rescue_expired"], limit)
        return len(rows)

    async def forget_stale_runners(self, limit: int) -> int:
        """Drop up to `limit` runners silent for longer than REMEMBERED_FOR; answer how many."""
        forgotten: int = await self._durable.fetchval(
            QUERIES["worker_forget_stale"], REMEMBERED_FOR, limit
        )
        return forgotten

    async def fire_due_schedules(
        self, now: datetime, limit: int, plan: Callable[[DueSchedule], Firing]
    ) -> list[FiredSchedule]:
        """Fire up to `limit` schedules due at `now`: their jobs and their next due times are
        written in one transaction, under the schedules' row locks (three statements for
        the whole batch)."""
        async with self._durable.acquire() as connection, connection.transaction():
            rows = await connection.fetch(QUERIES["schedule_due_lock"], now, limit)
            due = [DueSchedule(r["name"], r["cron"], r["timezone"], r["next_run_at"]) for r in rows]
            if not due:
                return []
            firings = [plan(schedule) for schedule in due]
            names = [schedule.name for schedule in due]
            made = await connection.fetch(
                QUERIES["schedule_job_fire_many"],
                names,
                [firing.fire_at for firing in firings],
                [firing.detail for firing in firings],
                DEFAULT_MAX_ATTEMPTS,
            )
            await connection.execute(
                QUERIES["schedule_advance_many"], names, [f.next_run_at for f in firings]
            )
        job_of = {row["schedule"]: row["id"] for row in made}
        return [
            FiredSchedule(name, firing.fire_at, job_of.get(name))
            for name, firing in zip(names, firings, strict=True)
        ]

    # --- runners --------------------------------------------------------------------------

    async def heartbeat(self, worker_id: str, processed: int, stopping: bool) -> None:
        await self._fast.execute(QUERIES["worker_heartbeat"], worker_id, processed, stopping)

    async def list_runners(self, down_after_seconds: float, limit: int) -> list[RunnerSeen]:
        """Up to `limit` runners heard from within REMEMBERED_FOR, stopped ones last."""
        rows = await self._durable.fetch(QUERIES["worker_list"], REMEMBERED_FOR, limit)
        return [
            RunnerSeen(
                worker_id=row["worker_id"],
                status=runner_status(
                    row["heartbeat_age_seconds"],
                    stopped=row["stopped_at"] is not None,
                    holds_jobs=bool(row["jobs"]),
                    down_after_seconds=down_after_seconds,
                ),
                started_at=row["started_at"],
                last_heartbeat_at=row["last_heartbeat_at"],
                heartbeat_age_seconds=row["heartbeat_age_seconds"],
                jobs=list(row["jobs"]),
                processed=row["processed"],
            )
            for row in rows
        ]

    # --- reading --------------------------------------------------------------------------

    async def counts_by_status(self) -> dict[str, int]:
        rows = await self._durable.fetch(QUERIES["job_counts_by_status"])
        counts = dict.fromkeys(JobStatus, 0)
        counts.update({row["status"]: row["count"] for row in rows})
        return {str(status): count for status, count in counts.items()}

    async def report_rows(
        self, report_type: ReportType, start: date, end: date
    ) -> list[dict[str, Any]]:
        """The rows a report is built from: jobs created (or finished) in [start, end]."""
        since = datetime.combine(start, time.min, tzinfo=UTC)
        until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
        rows = await self._durable.fetch(
            REPORT_QUERIES[report_type], since, until, *_REPORT_ARGUMENTS.get(report_type, ())
        )
        return [dict(row) for row in rows]

    async def ping(self) -> None:
        await self._durable.fetchval(QUERIES["database_ping"])


def _claim(row: asyncpg.Record, lease_seconds: float) -> Claim:
    """A claimed job as runners get it: its public fields, its type's timeout, and how long its
    lease lasts (a runner keeps its own deadline from it, on its own clock)."""
    job = public_fields(row)
    job["timeout_seconds"] = row["timeout_seconds"]
    job["lease_seconds"] = lease_seconds
    return Claim(job, row["waited_seconds"])


def _finished(row: asyncpg.Record, replayed: bool = False) -> FinishedAttempt:
    return FinishedAttempt(row["id"], row["status"], row["ran_seconds"], row, replayed)


def _array(values: Sequence[str] | None) -> list[str] | None:
    return list(values) if values else None
