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
from job_contract.text import NoNul

WorkerId = Annotated[str, Field(min_length=1, max_length=200), NoNul]
Attempt = Annotated[int | None, Field(ge=1, description="The attempt being reported (fencing)")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- what runners send ------------------------------------------------------------------------


class ProcessOptions(_Body):
    """Query parameters of POST /process."""

    worker_id: WorkerId | None = None
    types: str | None = None
    wait: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] = 0
    limit: Annotated[int | None, Field(ge=1, le=MAX_CLAIM_BATCH)] = None


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
