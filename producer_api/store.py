"""JobStore: the only code in the producer API that talks to PostgreSQL.

Each public method is one short transaction. Every state change writes its timeline event in
the same statement (a data-modifying CTE), so a job and its history can never disagree.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from job_contract import JobStatus, JobType
from producer_api import search
from producer_api.errors import (
    ArtifactNotFound,
    IdempotencyConflict,
    JobNotFound,
    JobStateConflict,
)
from producer_api.models import Job, JobEvent, job_count_deltas

jobs = Job.__table__  # type: ignore[attr-defined]
job_events = JobEvent.__table__  # type: ignore[attr-defined]

# The columns of the public job shape (idempotency bookkeeping stays inside).
_PUBLIC = """id, type, status, priority, payload, result, error, attempts, max_attempts,
    scheduled_for, created_at, updated_at, completed_at, locked_by, locked_until"""

# --- statements ---------------------------------------------------------------------------

JOB_INSERT_ONE = sa.text(f"""
    WITH inserted AS (
        INSERT INTO jobs (id, type, priority, payload, max_attempts, scheduled_for,
                          idempotency_key, request_fingerprint)
        VALUES (:id, :type, :priority, CAST(:payload AS jsonb), :max_attempts, :scheduled_for,
                :idempotency_key, :fingerprint)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING {_PUBLIC}
    ), created AS (
        INSERT INTO job_events (job_id, kind, attempt) SELECT id, 'created', 0 FROM inserted
    )
    SELECT * FROM inserted
""")

JOB_GET_BY_IDEMPOTENCY_KEY = sa.text(
    f"SELECT {_PUBLIC}, request_fingerprint FROM jobs WHERE idempotency_key = :key"
)

# One statement for a whole batch: arrays in, unnest, no per-row round trips.
JOB_INSERT_MANY = sa.text(f"""
    WITH inserted AS (
        INSERT INTO jobs (id, type, priority, payload, max_attempts, scheduled_for)
        SELECT id, type, priority, payload::jsonb, max_attempts, scheduled_for
        FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:priorities AS smallint[]),
                    CAST(:payloads AS text[]), CAST(:max_attempts AS integer[]),
                    CAST(:scheduled_fors AS timestamptz[]))
             AS batch (id, type, priority, payload, max_attempts, scheduled_for)
        RETURNING {_PUBLIC}
    ), created AS (
        INSERT INTO job_events (job_id, kind, attempt) SELECT id, 'created', 0 FROM inserted
    )
    SELECT * FROM inserted
""")

JOB_GET = sa.text(f"SELECT {_PUBLIC} FROM jobs WHERE id = :id")

JOB_EVENTS_OF = sa.text("""
    SELECT kind, at, attempt, worker_id, detail FROM job_events WHERE job_id = :id ORDER BY id
""")

JOB_STATUSES_OF = sa.text("SELECT id, status FROM jobs WHERE id = ANY(CAST(:ids AS uuid[]))")

JOB_CANCEL_MANY = sa.text(f"""
    WITH cancelled AS (
        UPDATE jobs SET status = 'cancelled', updated_at = now()
        WHERE id = ANY(CAST(:ids AS uuid[])) AND status = 'pending'
        RETURNING {_PUBLIC}
    ), logged AS (
        INSERT INTO job_events (job_id, kind, attempt)
        SELECT id, 'cancelled', attempts FROM cancelled
    )
    SELECT * FROM cancelled
""")

# A manual retry is a fresh start: attempts from 0, no schedule, no leftover outcome.
JOB_RETRY_MANY = sa.text(f"""
    WITH retried AS (
        UPDATE jobs SET status = 'pending', attempts = 0, scheduled_for = NULL, result = NULL,
                        error = NULL, completed_at = NULL, locked_by = NULL, locked_until = NULL,
                        updated_at = now()
        WHERE id = ANY(CAST(:ids AS uuid[])) AND status IN ('failed', 'cancelled')
        RETURNING {_PUBLIC}
    ), logged AS (
        INSERT INTO job_events (job_id, kind, attempt) SELECT id, 'retried', 0 FROM retried
    )
    SELECT * FROM retried
""")

JOB_DELETE_FINISHED_MANY = sa.text("""
    DELETE FROM jobs
    WHERE id = ANY(CAST(:ids AS uuid[])) AND status IN ('completed', 'failed', 'cancelled')
    RETURNING id
""")

JOB_ARTIFACT_GET = sa.text(
    "SELECT content_type, filename, content FROM job_artifacts WHERE job_id = :id"
)

JOB_COUNTS = sa.text("""
    SELECT status, type, sum(delta)::bigint AS count
    FROM job_count_deltas GROUP BY status, type HAVING sum(delta) <> 0
""")

# Zero-filled buckets ending with the current one; each sums the minute rollups inside it.
JOB_THROUGHPUT = sa.text("""
    WITH buckets AS (
        SELECT generate_series(
            date_bin(CAST(:step AS interval), now(), TIMESTAMPTZ '2000-01-01')
                - CAST(:step AS interval) * (:buckets - 1),
            date_bin(CAST(:step AS interval), now(), TIMESTAMPTZ '2000-01-01'),
            CAST(:step AS interval)) AS bucket
    )
    SELECT buckets.bucket,
           coalesce(sum(t.completed), 0)::bigint AS completed,
           coalesce(sum(t.failed), 0)::bigint AS failed
    FROM buckets
    LEFT JOIN job_throughput_deltas AS t
           ON t.minute >= buckets.bucket AND t.minute < buckets.bucket + CAST(:step AS interval)
    GROUP BY buckets.bucket ORDER BY buckets.bucket
""")

JOB_STATS_COMPACT = sa.text("SELECT job_stats_compact()")

DATABASE_PING = sa.text("SELECT 1")


# --- query shapes -------------------------------------------------------------------------

SortKey = Literal["created_at", "updated_at", "priority", "status", "type"]
SortOrder = Literal["asc", "desc"]

# Throughput windows: (bucket width, bucket count).
WINDOWS: dict[str, tuple[timedelta, int]] = {
    "1h": (timedelta(minutes=1), 60),
    "24h": (timedelta(hours=1), 24),
    "7d": (timedelta(hours=6), 28),
}


@dataclass(frozen=True)
class JobFilter:
    statuses: Sequence[JobStatus] = ()
    types: Sequence[JobType] = ()
    priorities: Sequence[int] = ()
    q: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def only_status_and_type(self) -> bool:
        """True when the count rollup alone can answer how many jobs match."""
        return not (self.priorities or self.q or self.created_after or self.created_before)

    def only_q(self) -> bool:
        """True when `q` is the only filter: the search table alone can count the matches."""
        return bool(self.q) and not (
            self.statuses
            or self.types
            or self.priorities
            or self.created_after
            or self.created_before
        )


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    total_is_estimate: bool


@dataclass(frozen=True)
class NewJob:
    type: JobType
    priority: int
    payload: dict[str, Any]
    max_attempts: int
    scheduled_for: datetime | None
    id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class BulkOutcome:
    succeeded: list[UUID]
    skipped: list[tuple[UUID, str]]


@dataclass(frozen=True)
class Artifact:
    content_type: str
    filename: str
    content: bytes


@dataclass(frozen=True)
class Counts:
    by_status: dict[JobStatus, int]
    by_type: dict[JobType, int]
    total: int


_CANCEL_RULE = "only pending jobs can be cancelled"
_RETRY_RULE = "only failed or cancelled jobs can be retried"
_DELETE_RULE = "only completed, failed or cancelled jobs can be deleted"


class JobStore:
    def __init__(
        self, engine: AsyncEngine, exact_count_limit: int, exact_count_timeout_ms: int = 100
    ) -> None:
        self._engine = engine
        self._exact_count_limit = exact_count_limit
        # An exact count that takes longer gives way to the planner's estimate, flagged: `q`
        # with a broad filter (?q=invoice&status=pending) must otherwise look at every match
        # in two tables, 0.2-0.5 s at a million jobs.
        self._exact_count_timeout_ms = exact_count_timeout_ms

    # --- creating -------------------------------------------------------------------------

    async def create_job(
        self, job: NewJob, idempotency_key: str | None, fingerprint: str | None
    ) -> tuple[dict[str, Any], bool]:
        """Insert a job; with a key already used, return that job (False) or refuse."""
        params = {
            "id": job.id,
            "type": job.type.value,
            "priority": job.priority,
            "payload": json.dumps(job.payload),
            "max_attempts": job.max_attempts,
            "scheduled_for": job.scheduled_for,
            "idempotency_key": idempotency_key,
            "fingerprint": fingerprint,
        }
        async with self._engine.begin() as conn:
            row = (await conn.execute(JOB_INSERT_ONE, params)).mappings().first()
            if row is not None:
                return dict(row), True
            # The key is taken: by this same request replayed, or by a different one.
            existing = (
                (await conn.execute(JOB_GET_BY_IDEMPOTENCY_KEY, {"key": idempotency_key}))
                .mappings()
                .one()
            )
        if existing["request_fingerprint"] != fingerprint:
            raise IdempotencyConflict(idempotency_key or "")
        replayed = dict(existing)
        del replayed["request_fingerprint"]
        return replayed, False

    async def create_jobs(self, batch: Sequence[NewJob]) -> list[dict[str, Any]]:
        """Insert the whole batch in one statement: all rows or none."""
        params = {
            "ids": [job.id for job in batch],
            "types": [job.type.value for job in batch],
            "priorities": [job.priority for job in batch],
            "payloads": [json.dumps(job.payload) for job in batch],
            "max_attempts": [job.max_attempts for job in batch],
            "scheduled_fors": [job.scheduled_for for job in batch],
        }
        async with self._engine.begin() as conn:
            rows = (await conn.execute(JOB_INSERT_MANY, params)).mappings().all()
        by_id = {row["id"]: dict(row) for row in rows}
        return [by_id[job.id] for job in batch]

    # --- reading --------------------------------------------------------------------------

    async def get_job(self, job_id: UUID) -> dict[str, Any]:
        """The job with its events, oldest first."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(JOB_GET, {"id": job_id})).mappings().first()
            if row is None:
                raise JobNotFound(job_id)
            events = (await conn.execute(JOB_EVENTS_OF, {"id": job_id})).mappings().all()
        return {**row, "events": [dict(event) for event in events]}

    async def list_jobs(
        self, where: JobFilter, sort: SortKey, order: SortOrder, limit: int, offset: int
    ) -> Page:
        page_query = page_select(where, sort, order, limit, offset)
        async with self._engine.connect() as conn:
            items = [dict(row) for row in (await conn.execute(page_query)).mappings()]
            total, is_estimate = await self._count(conn, where, _conditions(where))
        return Page(items=items, total=total, total_is_estimate=is_estimate)

    async def _count(
        self, conn: AsyncConnection, where: JobFilter, conditions: list[sa.ColumnElement[bool]]
    ) -> tuple[int, bool]:
        """Exact when cheap: from the rollup, or by counting up to the bound; else estimated."""
        if where.only_status_and_type():
            rollup = sa.select(sa.func.coalesce(sa.func.sum(job_count_deltas.c.delta), 0))
            if where.statuses:
                rollup = rollup.where(job_count_deltas.c.status.in_(list(where.statuses)))
            if where.types:
                rollup = rollup.where(job_count_deltas.c.type.in_(list(where.types)))
            return int((await conn.execute(rollup)).scalar_one()), False
        matching = matching_select(where, conditions)
        bounded = sa.select(sa.func.count()).select_from(
            matching.limit(self._exact_count_limit + 1).subquery()
        )
        try:
            exact = await _within_time_limit(conn, bounded, self._exact_count_timeout_ms)
        except CountTooSlow:
            return await _planner_estimate(conn, matching), True
        if exact <= self._exact_count_limit:
            return exact, False
        return max(await _planner_estimate(conn, matching), exact), True

    async def get_artifact(self, job_id: UUID) -> Artifact:
        async with self._engine.connect() as conn:
            row = (await conn.execute(JOB_ARTIFACT_GET, {"id": job_id})).first()
            if row is None:
                if (await conn.execute(JOB_GET, {"id": job_id})).first() is None:
                    raise JobNotFound(job_id)
                raise ArtifactNotFound(job_id)
        return Artifact(content_type=row.content_type, filename=row.filename, content=row.content)

    async def counts(self) -> Counts:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(JOB_COUNTS)).all()
        by_status = dict.fromkeys(JobStatus, 0)
        by_type = dict.fromkeys(JobType, 0)
        for status, job_type, count in rows:
            by_status[JobStatus(status)] += count
            by_type[JobType(job_type)] += count
        return Counts(by_status=by_status, by_type=by_type, total=sum(by_status.values()))

    async def throughput(self, window: str) -> list[dict[str, Any]]:
        step, buckets = WINDOWS[window]
        async with self._engine.connect() as conn:
            rows = await conn.execute(JOB_THROUGHPUT, {"step": step, "buckets": buckets})
            return [dict(row) for row in rows.mappings()]

    # --- acting ---------------------------------------------------------------------------

    async def cancel_job(self, job_id: UUID) -> dict[str, Any]:
        return await self._transition_one(job_id, JOB_CANCEL_MANY, _CANCEL_RULE)

    async def retry_job(self, job_id: UUID) -> dict[str, Any]:
        return await self._transition_one(job_id, JOB_RETRY_MANY, _RETRY_RULE)

    async def _transition_one(
        self, job_id: UUID, statement: sa.TextClause, rule: str
    ) -> dict[str, Any]:
        async with self._engine.begin() as conn:
            row = (await conn.execute(statement, {"ids": [job_id]})).mappings().first()
            if row is not None:
                return dict(row)
            current = (await conn.execute(JOB_STATUSES_OF, {"ids": [job_id]})).first()
        if current is None:
            raise JobNotFound(job_id)
        raise JobStateConflict(job_id, current.status, rule)

    async def bulk(
        self, action: Literal["cancel", "retry", "delete"], ids: Sequence[UUID]
    ) -> BulkOutcome:
        """Apply the action to each job that allows it; say why each other one was skipped."""
        statement, rule = {
            "cancel": (JOB_CANCEL_MANY, _CANCEL_RULE),
            "retry": (JOB_RETRY_MANY, _RETRY_RULE),
            "delete": (JOB_DELETE_FINISHED_MANY, _DELETE_RULE),
        }[action]
        unique_ids = list(dict.fromkeys(ids))
        async with self._engine.begin() as conn:
            done = {row.id for row in await conn.execute(statement, {"ids": unique_ids})}
            rest = [job_id for job_id in unique_ids if job_id not in done]
            statuses: dict[UUID, str] = (
                dict((await conn.execute(JOB_STATUSES_OF, {"ids": rest})).tuples().all())
                if rest
                else {}
            )
        skipped = [
            (job_id, f"{rule}; it is {statuses[job_id]}" if job_id in statuses else "not found")
            for job_id in rest
        ]
        return BulkOutcome(succeeded=[i for i in unique_ids if i in done], skipped=skipped)

    # --- housekeeping ---------------------------------------------------------------------

    async def compact_stats(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(JOB_STATS_COMPACT)

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(DATABASE_PING)


def matching_select(where: JobFilter, conditions: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """A row per job the filter matches, to count (up to a bound) or estimate."""
    if where.q and where.only_q():
        # job_search has exactly one row per job: counting there skips the join with jobs.
        return search.matching_ids(where.q).with_only_columns(sa.literal(1))
    return sa.select(sa.literal(1)).select_from(jobs).where(*conditions)


def page_select(
    where: JobFilter, sort: SortKey, order: SortOrder, limit: int, offset: int
) -> sa.Select[Any]:
    """One page of jobs; see _pending_split for the pages that read pending jobs in order."""
    columns = [jobs.c[name.strip()] for name in _PUBLIC.split(",")]
    branches = _pending_split(where, sort)
    if branches is None:
        return (
            sa.select(*columns)
            .where(*_conditions(where))
            .order_by(*_order_by(jobs.c, sort, order))
            .limit(limit)
            .offset(offset)
        )
    # Each branch is ordered and cut at the page's end on its own, so PostgreSQL merges a few
    # ordered index scans (Merge Append) instead of sorting every matching job. The branches
    # carry only the sort keys (a branch may be sorted again: rows past an offset are many);
    # the page's rows are read by id afterwards.
    keys = [jobs.c.id, jobs.c.created_at] + ([jobs.c[sort]] if sort != "created_at" else [])
    parts = [
        sa.select(*keys)
        .where(*conditions)
        .order_by(*_order_by(jobs.c, sort, order))
        .limit(offset + limit)
        for conditions in branches
    ]
    merged = sa.union_all(*parts).subquery("merged")
    page = (
        sa.select(merged.c.id)
        .order_by(*_order_by(merged.c, sort, order))
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    return (
        sa.select(*columns)
        .join_from(jobs, page, jobs.c.id == page.c.id)
        .order_by(*_order_by(jobs.c, sort, order))
    )


def _order_by(columns: Any, sort: SortKey, order: SortOrder) -> list[sa.ColumnElement[Any]]:
    direction = sa.desc if order == "desc" else sa.asc
    # Ties broken by (created_at, id) in the same direction, so one index serves a sort.
    order_by = [direction(columns[sort])]
    if sort != "created_at":
        order_by.append(direction(columns.created_at))
    order_by.append(direction(columns.id))
    return order_by


# The priorities the schema allows (CHECK priority BETWEEN 1 AND 5).
_PRIORITIES = (1, 2, 3, 4, 5)


def _pending_split(where: JobFilter, sort: SortKey) -> list[list[sa.ColumnElement[bool]]] | None:
    """The page's conditions split into branches, when pending jobs need another route.

    Only jobs_claim_idx, `(priority DESC, created_at, id) WHERE status = 'pending'`, indexes
    pending jobs by status (migration 0004 keeps the claim from planning with anything else).
    So "pending, oldest first" or "by status" would scan jobs_created_at_idx from its oldest,
    finished, end (seconds at 1M jobs), or sort every match. Per priority, though, the claim
    index has pending jobs in created_at order: one branch per priority (and per type, when
    sorting by type), and one for the other statuses (jobs_status_created_at_not_pending_idx),
    merged in order.
    """
    pending = JobStatus.PENDING
    statuses = list(where.statuses)
    if statuses and pending not in statuses:
        return None
    if not (sort == "status" or (statuses and sort in ("created_at", "priority", "type"))):
        return None
    shared = _conditions(replace(where, statuses=(), priorities=()))
    by_priority = [jobs.c.priority.in_(list(where.priorities))] if where.priorities else []
    # Once each (no duplicate rows); by type only when sorting by it, 15 branches at most.
    priorities = dict.fromkeys(where.priorities or _PRIORITIES)
    types = [[jobs.c.type == job_type.value] for job_type in dict.fromkeys(where.types or JobType)]
    branches = [
        [*shared, *of_type, jobs.c.status == pending.value, jobs.c.priority == priority]
        for of_type in (types if sort == "type" else [[]])
        for priority in priorities
    ]
    others = [status.value for status in statuses if status != pending]
    if not statuses:
        branches.append([*shared, *by_priority, jobs.c.status != pending.value])
    elif others:
        branches.append([*shared, *by_priority, jobs.c.status.in_(others)])
    return branches


def _conditions(where: JobFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if where.statuses:
        conditions.append(jobs.c.status.in_([s.value for s in where.statuses]))
    if where.types:
        conditions.append(jobs.c.type.in_([t.value for t in where.types]))
    if where.priorities:
        conditions.append(jobs.c.priority.in_(list(where.priorities)))
    if where.created_after is not None:
        conditions.append(jobs.c.created_at >= where.created_after)
    if where.created_before is not None:
        conditions.append(jobs.c.created_at < where.created_before)
    if where.q:
        conditions.append(search.matches(jobs.c.id, where.q))
    return conditions


class CountTooSlow(Exception):
    """The exact count ran past its time limit and was cancelled."""


_QUERY_CANCELED = "57014"


async def _within_time_limit(conn: AsyncConnection, count: sa.Select[Any], ms: int) -> int:
    """Run `count` with a statement timeout, in a savepoint so a cancel leaves `conn` usable."""
    try:
        async with conn.begin_nested():
            await conn.execute(sa.text(f"SET LOCAL statement_timeout = {int(ms)}"))
            result = int((await conn.execute(count)).scalar_one())
            await conn.execute(sa.text("SET LOCAL statement_timeout = DEFAULT"))
            return result
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == _QUERY_CANCELED:
            raise CountTooSlow from error
        raise


async def _planner_estimate(conn: AsyncConnection, query: sa.Select[Any]) -> int:
    """PostgreSQL's own row estimate for the query (EXPLAIN), without running it."""
    # render_postcompile expands IN (...) lists into plain positional parameters.
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    plan = (await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", params)).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
