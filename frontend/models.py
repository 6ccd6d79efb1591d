"""What the dashboard reads from the producer API and the worker service.

Parsed leniently (unknown fields ignored) so that a newer API does not break the pages.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from job_contract import FINAL_STATUSES, JobAction, JobStatus
from job_contract.transitions import allows


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class JobEvent(_Lenient):
    kind: str
    at: datetime
    attempt: int = 0
    worker_id: str | None = None
    detail: str | None = None


class Job(_Lenient):
    id: UUID
    type: str
    status: JobStatus
    priority: int
    payload: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None
    attempts: int
    max_attempts: int
    scheduled_for: datetime | None = None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    locked_by: str | None = None
    locked_until: datetime | None = None
    events: list[JobEvent] = []

    @property
    def short_id(self) -> str:
        return str(self.id)[:8]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def can_cancel(self) -> bool:
        return allows(JobAction.CANCEL, self.status)

    @property
    def can_retry(self) -> bool:
        return allows(JobAction.RETRY, self.status)

    @property
    def has_artifact(self) -> bool:
        """Report jobs upload their file before they complete."""
        return self.type == "report" and self.status == JobStatus.COMPLETED


class JobPage(_Lenient):
    items: list[Job]
    total: int
    total_is_estimate: bool = False
    limit: int
    offset: int


class ThroughputBucket(_Lenient):
    bucket: datetime
    completed: int
    failed: int


class Stats(_Lenient):
    by_status: dict[JobStatus, int]
    by_type: dict[str, int]
    total: int
    throughput: list[ThroughputBucket]


class JobType(_Lenient):
    type: str
    payload_schema: dict[str, Any] = Field(alias="schema")


class SkippedJob(_Lenient):
    id: UUID
    reason: str


class BulkOutcome(_Lenient):
    succeeded: list[UUID]
    skipped: list[SkippedJob]


class Artifact(_Lenient):
    content: bytes
    content_type: str
    content_disposition: str | None


class Runner(_Lenient):
    """One runner as the worker service reports it; every field but the id is optional."""

    worker_id: str
    status: str = "unknown"
    last_heartbeat_at: datetime | None = None
    jobs_in_flight: int = 0
    processed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _count_held_jobs(cls, data: Any) -> Any:
        # The worker service may list the held job ids rather than count them.
        if isinstance(data, dict):
            held = data.get("jobs_in_flight", data.get("jobs"))
            if isinstance(held, list):
                return {**data, "jobs_in_flight": len(held)}
        return data
