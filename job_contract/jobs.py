"""The public shape of a job and of its timeline: what both APIs answer and clients read.

Both stores select these fields and nothing else (idempotency bookkeeping and claim times
stay inside the database); the dashboard parses the same models.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from job_contract.statuses import EventKind, JobStatus


class EventPublic(BaseModel):
    kind: EventKind
    at: datetime
    attempt: int
    worker_id: str | None
    detail: str | None


class JobPublic(BaseModel):
    id: UUID
    type: str = Field(description="Its type: a built-in (email, report, notification) or custom")
    status: JobStatus
    priority: int
    payload: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    max_attempts: int
    scheduled_for: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    locked_by: str | None
    locked_until: datetime | None
    concurrency_key: str | None
    callback_url: str | None
    schedule: str | None = Field(description="The schedule that made it, if one did")


class JobDetail(JobPublic):
    events: list[EventPublic]


JOB_FIELDS = tuple(JobPublic.model_fields)
EVENT_FIELDS = tuple(EventPublic.model_fields)


def public_fields(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The public fields of a job row (a database record or a mapping with more columns)."""
    return {name: row[name] for name in JOB_FIELDS}
