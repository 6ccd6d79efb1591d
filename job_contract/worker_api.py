"""Request bodies of the worker service: what runners send, what the service accepts."""

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from job_contract.text import NoNul

WorkerId = Annotated[str, Field(min_length=1, max_length=200), NoNul]
Attempt = Annotated[int | None, Field(ge=1, description="The attempt being reported (fencing)")]

MAX_BATCH_CLAIM = 100
MAX_BATCH_COMPLETE = 100
MAX_WAIT_SECONDS = 30


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompleteBody(_Body):
    result: dict[str, Any] | None = None
    attempt: Attempt = None
    worker_id: WorkerId | None = None


class CompletedJob(_Body):
    id: UUID
    attempt: Attempt = None
    result: dict[str, Any] | None = None


class CompleteBatchBody(_Body):
    jobs: Annotated[list[CompletedJob], Field(min_length=1, max_length=MAX_BATCH_COMPLETE)]
    worker_id: WorkerId | None = None


class FailBody(_Body):
    error: Annotated[str, Field(min_length=1, max_length=10_000), NoNul]
    retryable: bool = True
    attempt: Attempt = None
    worker_id: WorkerId | None = None


class HeartbeatBody(_Body):
    jobs: Annotated[list[UUID], Field(max_length=10_000)] = []
    processed: Annotated[int, Field(ge=0, description="Jobs finished since the runner started")] = 0
    stopping: bool = Field(default=False, description="The runner is shutting down for good")


class ProcessOptions(_Body):
    """Query parameters of POST /process."""

    worker_id: WorkerId | None = None
    types: str | None = None
    wait: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] = 0
    limit: Annotated[int | None, Field(ge=1, le=MAX_BATCH_CLAIM)] = None
