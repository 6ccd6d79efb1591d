"""What the producer API answers besides a job: pages, batches, bulk outcomes, stats, types.

The API declares these as its response models and the dashboard parses the same ones.
"""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from job_contract.bounds import MAX_TOKEN_DAYS
from job_contract.jobs import JobPublic
from job_contract.roles import Role
from job_contract.statuses import JobStatus
from job_contract.text import NoNul


class JobPage(BaseModel):
    items: list[JobPublic]
    total: int
    total_is_estimate: bool = Field(
        description="true when `total` is the planner's estimate (past the exact-count bound)"
    )
    limit: int
    offset: int


class JobBatch(BaseModel):
    jobs: list[JobPublic]


class SkippedJob(BaseModel):
    id: UUID
    reason: str


class BulkResult(BaseModel):
    succeeded: list[UUID]
    skipped: list[SkippedJob]


class BulkMatchedResult(BaseModel):
    """POST /jobs/bulk with a `filter`: how many jobs matched, were acted on, were skipped."""

    matched: int
    succeeded: int
    skipped: int


class ThroughputBucket(BaseModel):
    bucket: datetime
    completed: int
    failed: int


class Stats(BaseModel):
    by_status: dict[JobStatus, int]
    by_type: dict[str, int]
    total: int
    throughput: list[ThroughputBucket]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]


class ErrorMessage(BaseModel):
    detail: str

    model_config = ConfigDict(json_schema_extra={"example": {"detail": "job 0a… not found"}})


# --- tokens -----------------------------------------------------------------------------------

TokenName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.@+-]+$"), NoNul]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TokenName = Field(description="A name to find and revoke it by: letters, digits, ._@+-")
    role: Role
    expires_in_days: Annotated[int | None, Field(ge=1, le=MAX_TOKEN_DAYS)] = None


class TokenPublic(BaseModel):
    """A token as the admin list shows it: never its secret."""

    id: UUID
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class TokenList(BaseModel):
    tokens: list[TokenPublic]


class TokenCreated(BaseModel):
    id: UUID
    name: str
    role: Role
    token: str = Field(description="The secret: shown this once, only its digest is kept")
    expires_at: datetime | None


class Me(BaseModel):
    """Who the token in the request is: GET /me."""

    name: str
    role: Role
    expires_at: datetime | None
