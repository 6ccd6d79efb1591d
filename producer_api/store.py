"""JobStore: the producer API's transactions, each one short.

The statements are queries.sql's; the list page and its total are composed by job_listing.py
and job_counts.py and run here, in one read. Jobs come back in the contract's public shape.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from job_contract import JobStatus, JobType
from job_contract.bounds import MAX_JOBS_PER_REQUEST, STATS_WINDOWS, StatsWindowName
from job_contract.jobs import EVENT_FIELDS, public_fields
from job_contract.transitions import ALLOWED_FROM, JobAction, rule
from producer_api.errors import (
    ArtifactNotFound,
    IdempotencyConflict,
    JobNotFound,
    JobStateConflict,
    JobTypeRetired,
    UnknownJobType,
)
from producer_api.job_counts import TotalCounter
from producer_api.job_listing import JobFilter, SortKey, SortOrder, oldest_matching, page_select
from producer_api.queries import QUERIES

_ACTION_STATEMENTS = {
    JobAction.CANCEL: QUERIES["job_cancel_many"],
    JobAction.RETRY: QUERIES["job_retry_many"],
    JobAction.DELETE: QUERIES["job_delete_many"],
}
# Bound into the action's statement: the statuses it may start from, as the contract says.
_ALLOWED = {action: sorted(status.value for status in ALLOWED_FROM[action]) for action in JobAction}


@dataclass(frozen=True)
class NewJob:
    type: str
    priority: int
    payload: dict[str, Any]
    max_attempts: int
    scheduled_for: datetime | None
    concurrency_key: str | None = None
    callback_url: str | None = None
    id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    total_is_estimate: bool


@dataclass(frozen=True)
class ActionOutcome:
    """The rows an action changed (delete's carry only their id), and the status of each
    job it left alone: None for one that does not exist."""

    done: Sequence[RowMapping]
    skipped: dict[UUID, str | None]
    # The skipped jobs whose type was deleted: its name (a retry of one is refused).
    retired_types: dict[UUID, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkOutcome:
    succeeded: list[UUID]
    skipped: list[tuple[UUID, str]]


@dataclass(frozen=True)
class BulkCounts:
    matched: int
    succeeded: int
    skipped: int


@dataclass(frozen=True)
class Artifact:
    content_type: str
    filename: str
    content: bytes


@dataclass(frozen=True)
class Counts:
    by_status: dict[JobStatus, int]
    by_type: dict[str, int]
    total: int


@dataclass(frozen=True)
class StatsCompaction:
    """How many rollup rows one compaction folded away."""

    count_rows_removed: int
    throughput_rows_removed: int


class JobStore:
    def __init__(self, engine: AsyncEngine, counter: TotalCounter) -> None:
        self._engine = engine
        self._counter = counter

    # --- creating -------------------------------------------------------------------------

    async def create_job(
        self, job: NewJob, idempotency_key: str | None, fingerprint: str | None
    ) -> tuple[dict[str, Any], bool]:
        """Insert a job; with a key already used, return that job (False) or refuse."""
        params = {
            "id": job.id,
            "type": job.type,
            "priority": job.priority,
            "payload": json.dumps(job.payload),
            "max_attempts": job.max_attempts,
            "scheduled_for": job.scheduled_for,
            "idempotency_key": idempotency_key,
            "fingerprint": fingerprint,
            "concurrency_key": job.concurrency_key,
            "callback_url": job.callback_url,
        }
        async with self._engine.begin() as conn:
            row = (await conn.execute(QUERIES["job_insert_one"], params)).mappings().first()
            if row is not None:
                return public_fields(row), True
            # The key is taken (by this same request replayed, or by a different one), or
            # the type was deleted since the request was checked.
            key = {"key": idempotency_key}
            existing = (
                (await conn.execute(QUERIES["job_get_by_idempotency_key"], key)).mappings().first()
                if idempotency_key is not None
                else None
            )
        if existing is None:
            raise UnknownJobType(loc=("body", "type"), name=job.type)
        if existing["request_fingerprint"] != fingerprint:
            raise IdempotencyConflict(key=idempotency_key or "")
        return public_fields(existing), False

    async def create_jobs(self, batch: Sequence[NewJob]) -> list[dict[str, Any]]:
        """Insert the whole batch in one statement: all rows or none."""
        params = {
            "ids": [job.id for job in batch],
            "types": [job.type for job in batch],
            "priorities": [job.priority for job in batch],
            "payloads": [json.dumps(job.payload) for job in batch],
            "max_attempts": [job.max_attempts for job in batch],
            "scheduled_fors": [job.scheduled_for for job in batch],
            "concurrency_keys": [job.concurrency_key for job in batch],
            "callback_urls": [job.callback_url for job in batch],
        }
        async with self._engine.begin() as conn:
            rows = (await conn.execute(QUERIES["job_insert_many"], params)).mappings().all()
            if len(rows) < len(batch):
                # A type was deleted since the batch was checked: none of it is written.
                inserted = {row["id"] for row in rows}
                index, missing = next((i, j) for i, j in enumerate(batch) if j.id not in inserted)
                raise UnknownJobType(loc=("body", "jobs", index, "type"), name=missing.type)
        by_id = {row["id"]: public_fields(row) for row in rows}
        return [by_id[job.id] for job in batch]

    # --- reading --------------------------------------------------------------------------

    async def get_job(self, job_id: UUID) -> dict[str, Any]:
        """The job with its events, oldest first."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(QUERIES["job_get"], {"id": job_id})).mappings().first()
            if row is None:
                raise JobNotFound(job_id=job_id)
            events = await conn.execute(QUERIES["job_event_list"], {"id": job_id})
            timeline = [{name: event[name] for name in EVENT_FIELDS} for event in events.mappings()]
        return {**public_fields(row), "events": timeline}

    async def list_jobs(
        self, where: JobFilter, sort: SortKey, order: SortOrder, limit: int, offset: int
    ) -> Page:
        page_query = page_select(where, sort, order, limit, offset)
        async with self._engine.connect() as conn:
            items = [public_fields(row) for row in (await conn.execute(page_query)).mappings()]
            total = await self._counter.total(conn, where)
        return Page(items=items, total=total.count, total_is_estimate=total.is_estimate)

    async def get_artifact(self, job_id: UUID) -> Artifact:
        async with self._engine.connect() as conn:
            row = (await conn.execute(QUERIES["job_artifact_get"], {"id": job_id})).first()
            if row is None:
                if (await conn.execute(QUERIES["job_get"], {"id": job_id})).first() is None:
                    raise JobNotFound(job_id=job_id)
                raise ArtifactNotFound(job_id=job_id)
        return Artifact(content_type=row.content_type, filename=row.filename, content=row.content)

    async def counts(self) -> Counts:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(QUERIES["job_count_by_status_and_type"])).all()
        by_status = dict.fromkeys(JobStatus, 0)
        by_type: dict[str, int] = dict.fromkeys(JobType, 0)
        for status, job_type, count in rows:
            by_status[JobStatus(status)] += count
            by_type[job_type] = by_type.get(job_type, 0) + count
        return Counts(by_status=by_status, by_type=by_type, total=sum(by_status.values()))

    async def throughput(self, window: StatsWindowName) -> list[dict[str, Any]]:
        shape = STATS_WINDOWS[window]
        params = {"step": shape.bucket, "buckets": shape.buckets}
        async with self._engine.connect() as conn:
            rows = await conn.execute(QUERIES["job_throughput_series"], params)
            return [dict(row) for row in rows.mappings()]

    # --- acting ---------------------------------------------------------------------------

    async def cancel_job(self, job_id: UUID) -> dict[str, Any]:
        return await self._act_on_one(JobAction.CANCEL, job_id)

    async def retry_job(self, job_id: UUID) -> dict[str, Any]:
        return await self._act_on_one(JobAction.RETRY, job_id)

    async def bulk(self, action: JobAction, ids: Sequence[UUID]) -> BulkOutcome:
        """Apply the action to each job that allows it; say why each other one was skipped."""
        unique_ids = list(dict.fromkeys(ids))
        async with self._engine.begin() as conn:
            outcome = await _act(conn, action, unique_ids)
        done = {row["id"] for row in outcome.done}
        skipped = [
            (job_id, _skip_reason(action, status, outcome.retired_types.get(job_id)))
            for job_id, status in outcome.skipped.items()
        ]
        return BulkOutcome(succeeded=[i for i in unique_ids if i in done], skipped=skipped)

    async def bulk_count(self, action: JobAction, where: JobFilter, limit: int) -> BulkCounts:
        """What bulk_matching would do now: matches up to `limit`, and how many of them the
        action's statuses allow (a retry of a deleted type's job would still be skipped)."""
        matching = oldest_matching(where, limit).subquery()
        allowed = matching.c.status.in_(_ALLOWED[action])
        count = sa.select(sa.func.count(), sa.func.count().filter(allowed)).select_from(matching)
        async with self._engine.connect() as conn:
            matched, would_succeed = (await conn.execute(count)).one()
        return BulkCounts(matched, would_succeed, matched - would_succeed)

    async def bulk_matching(self, action: JobAction, where: JobFilter, limit: int) -> BulkCounts:
        """Apply the action to the oldest `limit` jobs the filter matches.

        Their ids are read first, then acted on MAX_JOBS_PER_REQUEST per transaction: no
        statement locks more rows than an `ids` request may, and each batch commits before
        the next, so runners claiming jobs wait on a few row locks for milliseconds, never on
        thousands for the whole run. A job that changed since it was read is judged again
        by the action's own status check."""
        async with self._engine.connect() as conn:
            ids = list((await conn.execute(oldest_matching(where, limit))).scalars())
        succeeded = 0
        for start in range(0, len(ids), MAX_JOBS_PER_REQUEST):
            batch = {"ids": ids[start : start + MAX_JOBS_PER_REQUEST], "allowed": _ALLOWED[action]}
            async with self._engine.begin() as conn:
                succeeded += len((await conn.execute(_ACTION_STATEMENTS[action], batch)).all())
        return BulkCounts(len(ids), succeeded, len(ids) - succeeded)

    async def _act_on_one(self, action: JobAction, job_id: UUID) -> dict[str, Any]:
        async with self._engine.begin() as conn:
            outcome = await _act(conn, action, [job_id])
        if outcome.done:
            return public_fields(outcome.done[0])
        status = outcome.skipped[job_id]
        if status is None:
            raise JobNotFound(job_id=job_id)
        if (retired := outcome.retired_types.get(job_id)) and status in _ALLOWED[action]:
            raise JobTypeRetired(job_id=job_id, name=retired)
        raise JobStateConflict(job_id=job_id, status=status, rule=rule(action))

    # --- housekeeping ---------------------------------------------------------------------

    async def compact_stats(self) -> StatsCompaction:
        async with self._engine.begin() as conn:
            row = (await conn.execute(QUERIES["job_stats_compact"])).one()
        return StatsCompaction(
            count_rows_removed=row.count_rows_removed,
            throughput_rows_removed=row.throughput_rows_removed,
        )

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(QUERIES["database_ping"])


async def _act(conn: AsyncConnection, action: JobAction, ids: list[UUID]) -> ActionOutcome:
    """One statement acts on the jobs whose status allows it; the others' statuses are read
    afterwards, in the same transaction, to say why they were left alone."""
    params = {"ids": ids, "allowed": _ALLOWED[action]}
    done = (await conn.execute(_ACTION_STATEMENTS[action], params)).mappings().all()
    acted_on = {row["id"] for row in done}
    rest = [job_id for job_id in ids if job_id not in acted_on]
    statuses: dict[UUID, str] = {}
    retired: dict[UUID, str] = {}
    if rest:
        for row in (await conn.execute(QUERIES["job_status_list"], {"ids": rest})).mappings():
            statuses[row["id"]] = row["status"]
            if row["retired_type"] is not None:
                retired[row["id"]] = row["retired_type"]
    skipped = {job_id: statuses.get(job_id) for job_id in rest}
    return ActionOutcome(done=done, skipped=skipped, retired_types=retired)


def _skip_reason(action: JobAction, status: str | None, retired_type: str | None) -> str:
    if status is None:
        return "not found"
    if retired_type is not None and status in _ALLOWED[action]:
        return f"its job type {retired_type!r} was deleted"
    return f"{rule(action)}; it is {status}"
