"""What the producer API answers besides a job: pages, batches, bulk outcomes, stats, types.

The API declares these as its response models and the dashboard parses the same ones.
"""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from job_contract.jobs import JobPublic
from job_contract.statuses import JobStatus


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


class ThroughputBucket(BaseModel):
    bucket: datetime
    completed: int
    failed: int


class Stats(BaseModel):
    by_status: dict[JobStatus, int]
    by_type: dict[str, int]
    total: int
    throughput: list[ThroughputBucket]


class JobTypeInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    type: str
    payload_schema: dict[str, Any] = Field(alias="schema")
    example: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]


class ErrorMessage(BaseModel):
    detail: str

    model_config = ConfigDict(json_schema_extra={"example": {"detail": "job 0a… not found"}})
