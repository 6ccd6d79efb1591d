"""The worker protocol: what runners send the worker service, and what it answers."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from job_contract.bounds import (
    MAX_CLAIM_BATCH,
    MAX_COMPLETE_BATCH,
    MAX_ERROR_CHARS,
    MAX_HEARTBEAT_JOBS,
    MAX_WAIT_SECONDS,
)
from job_contract.statuses import JobStatus
from job_contract.text import NoNul

WorkerId = Annotated[str, Field(min_length=1, max_length=200), NoNul]
Attempt = Annotated[int | None, Field(ge=1, description="The attempt being reported (fencing)")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- what runners send ------------------------------------------------------------------------


class ProcessOptions(_Body):
    """Query parameters of POST /process."""

    worker_id: WorkerId | None = Field(
        default=None, description="Who claims (else one is made up and answered in `locked_by`)"
    )
    types: str | None = Field(
        default=None, description="Job types to claim, comma-separated (default: any)"
    )
    wait: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] = Field(
        default=0, description="Seconds to hold the request until a job is claimable"
    )
    limit: Annotated[int | None, Field(ge=1, le=MAX_CLAIM_BATCH)] = Field(
        default=None, description='Claim up to this many; the answer is then `{"jobs": [...]}`'
    )


class CompleteBody(_Body):
    result: dict[str, Any] | None = None
    attempt: Attempt = None
    worker_id: WorkerId | None = None


class CompletedJob(_Body):
    id: UUID
    attempt: Attempt = None
    result: dict[str, Any] | None = None


class CompleteBatchBody(_Body):
    jobs: Annotated[list[CompletedJob], Field(min_length=1, max_length=MAX_COMPLETE_BATCH)]
    worker_id: WorkerId | None = None


class FailBody(_Body):
    error: Annotated[str, Field(min_length=1, max_length=MAX_ERROR_CHARS), NoNul]
    retryable: bool = True
    attempt: Attempt = None
    worker_id: WorkerId | None = None


class HeartbeatBody(_Body):
    jobs: Annotated[list[UUID], Field(max_length=MAX_HEARTBEAT_JOBS)] = []
    processed: Annotated[int, Field(ge=0, description="Jobs finished since the runner started")] = 0
    stopping: bool = Field(default=False, description="The runner is shutting down for good")


# --- what the worker service answers ----------------------------------------------------------


class ClaimedJob(BaseModel):
    """What a runner needs of a claimed job (the answer carries the whole public job)."""

    id: UUID
    type: str
    attempts: int = Field(description="This claim's attempt: report it back for fencing")
    payload: dict[str, Any]


class ClaimedJobs(BaseModel):
    """POST /process?limit=n answers this, with no job when nothing is claimable."""

    jobs: list[ClaimedJob]


class CompleteBatchAnswer(BaseModel):
    completed: list[UUID]
    conflicts: list[UUID]


class HeartbeatAnswer(BaseModel):
    lost: list[UUID] = Field(description="Jobs this runner no longer holds: abandon them")


RunnerStatus = Literal["active", "idle", "down"]


class RunnerPublic(BaseModel):
    """One runner as GET /workers lists it."""

    worker_id: str
    status: RunnerStatus
    started_at: datetime
    last_heartbeat_at: datetime
    heartbeat_age_seconds: float
    jobs_in_flight: int
    jobs: list[UUID]
    processed: int


class ArtifactStored(BaseModel):
    """PUT /artifacts/{job_id} answers this (201)."""

    job_id: UUID
    filename: str
    size: int = Field(description="Bytes stored")


class ReportRows(BaseModel):
    """GET /report-data/{report_type}: the rows a report is built from, one object each."""

    rows: list[dict[str, Any]]


class WorkerStats(BaseModel):
    """GET /stats on the worker service."""

    by_status: dict[JobStatus, int]


class FieldError(BaseModel):
    type: str = Field(description="What is wrong, as pydantic names it: missing, too_long, …")
    loc: list[str | int] = Field(description='Where: ["body", "jobs", 0, "id"], ["query", …]')
    msg: str


class InvalidRequest(BaseModel):
    """A 422 of the worker service: each field at fault, as FastAPI words them."""

    detail: list[FieldError]
