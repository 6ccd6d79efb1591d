"""GET /jobs as SQL: the filter, and the page query planned for the indexes that serve it.

Composed per request with SQLAlchemy Core (the filters are optional, the sort is chosen);
job_counts.py counts what the same filter matches. The store runs both.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from job_contract import JobStatus, JobType
from job_contract.bounds import PRIORITIES
from job_contract.callbacks import DeliveryState
from job_contract.jobs import JOB_FIELDS
from producer_api import search
from producer_api.models import Job
from producer_api.models import callback_deliveries as _deliveries

jobs = Job.__table__  # type: ignore[attr-defined]

SortKey = Literal["created_at", "updated_at", "priority", "status", "type"]
SortOrder = Literal["asc", "desc"]

# The page's columns: the public shape, and nothing the database keeps for itself.
_PUBLIC_COLUMNS = [jobs.c[name] for name in JOB_FIELDS]


@dataclass(frozen=True)
class JobFilter:
    statuses: Sequence[JobStatus] = ()
    types: Sequence[str] = ()
    # Every type a job may have: a page of pending jobs sorted by type reads each in turn.
    all_types: Sequence[str] = tuple(JobType)
    priorities: Sequence[int] = ()
    q: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    # Only jobs whose newest callback delivery failed for good.
    callback_failed: bool = False
    # A failure's group (migration 0013): jobs whose last error is of it.
    error_group: str | None = None
    schedule: str | None = None

    def only_status_and_type(self) -> bool:
        """True when the count rollup alone can answer how many jobs match."""
        return not self._filters_besides("statuses", "types")

    def only_q(self) -> bool:
        """True when `q` is the only filter: the search table alone can count the matches."""
        return bool(self.q) and not self._filters_besides("q")

    def _filters_besides(self, *names: str) -> bool:
        """Whether any filter but `names` is set: read from the fields, so a filter added to
        this class is counted here without being listed again."""
        ignored = {*names, "all_types"}  # all_types is what a filter picks from, not a filter
        return any(getattr(self, f.name) for f in fields(self) if f.name not in ignored)


def page_select(
    where: JobFilter, sort: SortKey, order: SortOrder, limit: int, offset: int
) -> sa.Select[Any]:
    """One page of jobs; see _pending_split for the pages that read pending jobs in order."""
    branches = _pending_split(where, sort)
    if branches is None:
        return (
            sa.select(*_PUBLIC_COLUMNS)
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
        sa.select(*_PUBLIC_COLUMNS)
        .join_from(jobs, page, jobs.c.id == page.c.id)
        .order_by(*_order_by(jobs.c, sort, order))
    )


def matching_select(where: JobFilter) -> sa.Select[Any]:
    """A row per job the filter matches, to count (up to a bound) or estimate."""
    if where.q and where.only_q():
        # job_search has exactly one row per job: counting there skips the join with jobs.
        return search.matching_ids(where.q).with_only_columns(sa.literal(1))
    return sa.select(sa.literal(1)).select_from(jobs).where(*_conditions(where))


def oldest_matching(where: JobFilter, limit: int) -> sa.Select[Any]:
    """The id and status of the oldest `limit` jobs the filter matches (a bulk action's)."""
    return (
        sa.select(jobs.c.id, jobs.c.status)
        .where(*_conditions(where))
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(limit)
    )


def _order_by(columns: Any, sort: SortKey, order: SortOrder) -> list[sa.ColumnElement[Any]]:
    direction = sa.desc if order == "desc" else sa.asc
    # Ties broken by (created_at, id) in the same direction, so one index serves a sort.
    order_by = [direction(columns[sort])]
    if sort != "created_at":
        order_by.append(direction(columns.created_at))
    order_by.append(direction(columns.id))
    return order_by


_MAX_BRANCHES = 100


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
    # Once each (no duplicate rows); by type only when sorting by it.
    priorities = dict.fromkeys(where.priorities or PRIORITIES)
    types = [[jobs.c.type == name] for name in dict.fromkeys(where.types or where.all_types)]
    if sort == "type" and len(types) * len(priorities) > _MAX_BRANCHES:
        return None  # many custom types: one sorted query beats hundreds of branches
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
        conditions.append(jobs.c.type.in_(list(where.types)))
    if where.priorities:
        conditions.append(jobs.c.priority.in_(list(where.priorities)))
    if where.created_after is not None:
        conditions.append(jobs.c.created_at >= where.created_after)
    if where.created_before is not None:
        conditions.append(jobs.c.created_at < where.created_before)
    if where.schedule is not None:
        conditions.append(jobs.c.schedule == where.schedule)
    if where.q:
        conditions.append(search.matches(jobs.c.id, where.q))
    if where.callback_failed:
        conditions.append(_newest_delivery_failed())
    if where.error_group is not None:
        conditions.append(jobs.c.error_group == where.error_group)
    return conditions


def filter_conditions(where: JobFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of `where`, for other queries over the same jobs (the export)."""
    return _conditions(where)


def _newest_delivery_failed() -> sa.ColumnElement[bool]:
    """A delivery failed for good (callback_deliveries_failed_idx finds those few) and no
    later one was queued (a "send again" that may have succeeded since)."""
    later = _deliveries.alias("later")
    failed = (
        sa.select(_deliveries.c.job_id)
        .where(_deliveries.c.state == DeliveryState.FAILED.value)
        .where(
            ~sa.exists().where(
                later.c.job_id == _deliveries.c.job_id,
                later.c.created_at > _deliveries.c.created_at,
            )
        )
    )
    condition: sa.ColumnElement[bool] = jobs.c.id.in_(failed)
    return condition
