"""The tables (SQLModel, mirroring the Alembic migrations) and the API's request/response models."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from job_contract import (
    EmailPayload,
    EventKind,
    JobStatus,
    JobType,
    NotificationPayload,
    ReportPayload,
)
from job_contract.payloads import PAYLOAD_EXAMPLES

metadata = SQLModel.metadata
_TIMESTAMP = sa.DateTime(timezone=True)


# --- tables -------------------------------------------------------------------------------


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.UniqueConstraint("idempotency_key", name="jobs_idempotency_key_key"),
        sa.Index(
            "jobs_claim_idx",
            sa.text("priority DESC"),
            "created_at",
            "id",
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index(
            "jobs_lease_idx", "locked_until", postgresql_where=sa.text("status = 'processing'")
        ),
        sa.Index(
            "jobs_locked_by_idx", "locked_by", postgresql_where=sa.text("status = 'processing'")
        ),
        sa.Index("jobs_created_at_idx", "created_at", "id"),
        sa.Index("jobs_updated_at_idx", "updated_at", "id"),
        # Pending rows left out, so only jobs_claim_idx can serve the claim's
        # `status = 'pending'` (migration 0004 says why).
        sa.Index(
            "jobs_status_created_at_not_pending_idx",
            "status",
            "created_at",
            "id",
            postgresql_where=sa.text("status <> 'pending'"),
        ),
        sa.Index("jobs_type_created_at_idx", "type", "created_at", "id"),
        sa.Index("jobs_priority_created_at_idx", "priority", "created_at", "id"),
    )

    id: UUID = Field(sa_type=sa.Uuid, primary_key=True)
    type: str = Field(sa_type=sa.Text)
    status: str = Field(sa_type=sa.Text)
    priority: int = Field(sa_type=sa.SmallInteger)
    payload: dict[str, Any] = Field(sa_type=JSONB)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    error: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = Field(sa_type=sa.Integer)
    max_attempts: int = Field(sa_type=sa.Integer)
    scheduled_for: datetime | None = Field(default=None, sa_type=_TIMESTAMP)
    created_at: datetime = Field(sa_type=_TIMESTAMP)
    updated_at: datetime = Field(sa_type=_TIMESTAMP)
    completed_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)
    locked_by: str | None = Field(default=None, sa_type=sa.Text)
    locked_until: datetime | None = Field(default=None, sa_type=_TIMESTAMP)
    idempotency_key: str | None = Field(default=None, sa_type=sa.Text)
    claimed_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)
    request_fingerprint: str | None = Field(default=None, sa_type=sa.Text)


class JobSearch(SQLModel, table=True):
    """`q` searches `payload::text` here, case-insensitively (ILIKE), served by trigrams.

    A table of its own, so that status updates of `jobs` never re-index the trigrams. Only
    triggers on `jobs` write it (migration 0004): a row when a job is inserted, rewritten
    should its payload ever change, deleted with the job.
    """

    __tablename__ = "job_search"
    __table_args__ = (
        sa.Index(
            "job_search_payload_text_trgm_idx",
            "payload_text",
            postgresql_using="gin",
            postgresql_ops={"payload_text": "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": 65536},
        ),
    )

    job_id: UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    )
    payload_text: str = Field(sa_type=sa.Text)


class JobEvent(SQLModel, table=True):
    __tablename__ = "job_events"
    __table_args__ = (sa.Index("job_events_job_id_idx", "job_id", "id"),)

    id: int = Field(sa_column=sa.Column(sa.BigInteger, sa.Identity(always=False), primary_key=True))
    job_id: UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(sa_type=sa.Text)
    at: datetime = Field(sa_type=_TIMESTAMP)
    attempt: int = Field(sa_type=sa.Integer)
    worker_id: str | None = Field(default=None, sa_type=sa.Text)
    detail: str | None = Field(default=None, sa_type=sa.Text)


class JobArtifact(SQLModel, table=True):
    __tablename__ = "job_artifacts"

    job_id: UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    )
    content_type: str = Field(sa_type=sa.Text)
    filename: str = Field(sa_type=sa.Text)
    content: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(sa_type=_TIMESTAMP)


# Append-only rollups written by triggers (see the migration); no ORM identity, so Core tables.
job_count_deltas = sa.Table(
    "job_count_deltas",
    metadata,
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("delta", sa.BigInteger, nullable=False),
)
job_throughput_deltas = sa.Table(
    "job_throughput_deltas",
    metadata,
    sa.Column("minute", _TIMESTAMP, nullable=False),
    sa.Column("completed", sa.BigInteger, nullable=False),
    sa.Column("failed", sa.BigInteger, nullable=False),
    sa.Index("job_throughput_deltas_minute_idx", "minute"),
)


# --- requests -----------------------------------------------------------------------------


def as_utc(value: datetime | None) -> datetime | None:
    """A timestamp without a zone is taken as UTC (what a datetime-local input sends)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class _JobCreateBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Annotated[int, PydanticField(ge=1, le=5, description="5 is the most urgent")] = 3
    max_attempts: Annotated[int, PydanticField(ge=1, le=25)] = 3
    scheduled_for: Annotated[
        datetime | None,
        PydanticField(description="Not claimable before this time; no zone means UTC"),
    ] = None

    _utc = field_validator("scheduled_for")(as_utc)


class EmailJobCreate(_JobCreateBase):
    type: Literal[JobType.EMAIL]
    payload: EmailPayload


class ReportJobCreate(_JobCreateBase):
    type: Literal[JobType.REPORT]
    payload: ReportPayload


class NotificationJobCreate(_JobCreateBase):
    type: Literal[JobType.NOTIFICATION]
    payload: NotificationPayload


JobCreate = Annotated[
    EmailJobCreate | ReportJobCreate | NotificationJobCreate,
    PydanticField(discriminator="type"),
]

JOB_CREATE_EXAMPLES = {
    job_type.value: {
        "summary": f"a {job_type.value} job",
        "value": {"type": job_type.value, "priority": 3, "payload": example},
    }
    for job_type, example in PAYLOAD_EXAMPLES.items()
}

MAX_BATCH = 1_000


class JobBatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Over the limit is answered 413, not 422 (see main.py's validation handler).
    jobs: Annotated[
        list[JobCreate],
        PydanticField(min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} jobs"),
    ]


class BulkAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["cancel", "retry", "delete"]
    ids: Annotated[list[UUID], PydanticField(min_length=1, max_length=MAX_BATCH)]


# --- responses ----------------------------------------------------------------------------


class EventPublic(BaseModel):
    kind: EventKind
    at: datetime
    attempt: int
    worker_id: str | None
    detail: str | None


class JobPublic(BaseModel):
    id: UUID
    type: JobType
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


class JobDetail(JobPublic):
    events: list[EventPublic]


class JobPage(BaseModel):
    items: list[JobPublic]
    total: int
    total_is_estimate: bool = PydanticField(
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
    by_type: dict[JobType, int]
    total: int
    throughput: list[ThroughputBucket]


class JobTypeInfo(BaseModel):
    type: JobType
    payload_schema: dict[str, Any] = PydanticField(serialization_alias="schema")
    example: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]


class ErrorMessage(BaseModel):
    detail: str

    model_config = ConfigDict(json_schema_extra={"example": {"detail": "job 0a… not found"}})
