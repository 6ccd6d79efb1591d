"""The tables (SQLModel, mirroring the Alembic migrations) and the API's request models.

What the API answers is the contract's (job_contract.jobs, job_contract.producer_api).
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from job_contract import JobAction
from job_contract.bounds import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_PRIORITY,
    MAX_JOBS_PER_REQUEST,
    MaxAttempts,
    Priority,
)
from job_contract.job_types import ConcurrencyKey, JobTypeName
from job_contract.payloads import PAYLOAD_EXAMPLES
from job_contract.schedules import (
    DEFAULT_TIMEZONE,
    CronExpression,
    ScheduleName,
    TimezoneName,
)
from job_contract.timestamps import UtcTimestamp

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
        # A limited claim's two reads (migration 0007).
        sa.Index(
            "jobs_processing_type_key_idx",
            "type",
            "concurrency_key",
            postgresql_where=sa.text("status = 'processing'"),
        ),
        # Schedules (migration 0010): one job per schedule and fire time; a schedule's jobs.
        sa.Index(
            "jobs_schedule_fire_key",
            "schedule",
            "schedule_fire_at",
            unique=True,
            postgresql_where=sa.text("schedule_fire_at IS NOT NULL"),
        ),
        sa.Index(
            "jobs_schedule_created_at_idx",
            "schedule",
            "created_at",
            "id",
            postgresql_where=sa.text("schedule IS NOT NULL"),
        ),
        sa.Index(
            "jobs_claim_by_type_idx",
            "type",
            sa.text("priority DESC"),
            "created_at",
            "id",
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: UUID = Field(sa_type=sa.Uuid, primary_key=True)
    type: str = Field(sa_column=sa.Column(sa.Text, sa.ForeignKey("job_types.name"), nullable=False))
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
    concurrency_key: str | None = Field(default=None, sa_type=sa.Text)
    schedule: str | None = Field(default=None, sa_type=sa.Text)
    schedule_fire_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)


class ScheduleRow(SQLModel, table=True):
    """A recurring job (migration 0010): its cron in its time zone, the job it makes, and
    when it is due next."""

    __tablename__ = "schedules"
    __table_args__ = (
        sa.Index("schedules_due_idx", "next_run_at", postgresql_where=sa.text("enabled")),
    )

    name: str = Field(sa_type=sa.Text, primary_key=True)
    cron: str = Field(sa_type=sa.Text)
    timezone: str = Field(sa_type=sa.Text)
    job: dict[str, Any] = Field(sa_type=JSONB)
    enabled: bool = Field(sa_type=sa.Boolean)
    next_run_at: datetime = Field(sa_type=_TIMESTAMP)
    created_at: datetime = Field(sa_type=_TIMESTAMP)
    updated_at: datetime = Field(sa_type=_TIMESTAMP)


class JobTypeRow(SQLModel, table=True):
    """A job type and its controls (migrations 0007–0009); built-ins keep no payload schema
    here. A deleted custom type is retired, not removed: its finished jobs still name it."""

    __tablename__ = "job_types"

    name: str = Field(sa_type=sa.Text, primary_key=True)
    # json, not jsonb: the schema's property order is the dashboard form's order.
    payload_schema: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    description: str = Field(sa_type=sa.Text)
    builtin: bool = Field(sa_type=sa.Boolean)
    paused: bool = Field(sa_type=sa.Boolean)
    concurrency: int | None = Field(default=None, sa_type=sa.Integer)
    key_concurrency: int | None = Field(default=None, sa_type=sa.Integer)
    rate_limit_jobs: int | None = Field(default=None, sa_type=sa.Integer)
    rate_limit_seconds: float | None = Field(default=None, sa_type=sa.Double)
    timeout_seconds: float | None = Field(default=None, sa_type=sa.Double)
    default_max_attempts: int | None = Field(default=None, sa_type=sa.Integer)
    # Generated by the database from the controls (migration 0009): the claim reads them.
    limited: bool = Field(
        sa_column=sa.Column(
            sa.Boolean,
            sa.Computed(
                "concurrency IS NOT NULL OR key_concurrency IS NOT NULL"
                " OR rate_limit_jobs IS NOT NULL",
                persisted=True,
            ),
            nullable=False,
        )
    )
    holds_slots: bool = Field(
        sa_column=sa.Column(
            sa.Boolean,
            sa.Computed("concurrency IS NOT NULL OR key_concurrency IS NOT NULL", persisted=True),
            nullable=False,
        )
    )
    created_at: datetime = Field(sa_type=_TIMESTAMP)
    updated_at: datetime = Field(sa_type=_TIMESTAMP)
    retired_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)


class JobTypeRateSlot(SQLModel, table=True):
    """One of a rate-limited type's n slots (0..n-1), a ring used in turn: a claim takes one
    unused for the window (migration 0009)."""

    __tablename__ = "job_type_rate_slots"

    type: str = Field(
        sa_column=sa.Column(
            sa.Text, sa.ForeignKey("job_types.name", ondelete="CASCADE"), primary_key=True
        )
    )
    slot: int = Field(sa_type=sa.Integer, primary_key=True)
    used_at: datetime = Field(sa_type=_TIMESTAMP)


class JobTypeRateCursor(SQLModel, table=True):
    """Where a rate-limited type's ring of slots goes on: its least recently used slot."""

    __tablename__ = "job_type_rate_cursors"

    type: str = Field(
        sa_column=sa.Column(
            sa.Text, sa.ForeignKey("job_types.name", ondelete="CASCADE"), primary_key=True
        )
    )
    next_slot: int = Field(sa_type=sa.Integer, sa_column_kwargs={"server_default": "0"})


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


class JobCreate(BaseModel):
    """A job to create. Its payload is checked against its type's schema by the route (the
    types are rows, known at run time): pydantic models for the built-ins, JSON Schema for
    custom types."""

    model_config = ConfigDict(extra="forbid")

    type: Annotated[
        JobTypeName,
        PydanticField(description="A registered job type: GET /job-types lists them"),
    ]
    payload: Annotated[
        dict[str, Any],
        PydanticField(description="Checked against the type's schema (GET /job-types)"),
    ]
    priority: Priority = DEFAULT_PRIORITY
    max_attempts: Annotated[
        MaxAttempts | None,
        PydanticField(
            description=f"Default: the type's default_max_attempts, else {DEFAULT_MAX_ATTEMPTS}"
        ),
    ] = None
    scheduled_for: Annotated[
        UtcTimestamp | None,
        PydanticField(description="Not claimable before this time; no zone means UTC"),
    ] = None
    concurrency_key: ConcurrencyKey | None = None


JOB_CREATE_EXAMPLES = {
    job_type.value: {
        "summary": f"a {job_type.value} job",
        "value": {"type": job_type.value, "priority": DEFAULT_PRIORITY, "payload": example},
    }
    for job_type, example in PAYLOAD_EXAMPLES.items()
}


class JobBatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Over the limit is answered 413, not 422 (see main.py's validation handler).
    jobs: Annotated[
        list[JobCreate],
        PydanticField(
            min_length=1,
            max_length=MAX_JOBS_PER_REQUEST,
            description=f"1 to {MAX_JOBS_PER_REQUEST} jobs",
        ),
    ]


class BulkAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: JobAction
    ids: Annotated[list[UUID], PydanticField(min_length=1, max_length=MAX_JOBS_PER_REQUEST)]


class ScheduledJob(JobCreate):
    """The job a schedule makes at each fire time: POST /jobs's fields, checked the same way,
    but no `scheduled_for` (a schedule's job is due when it is made)."""

    scheduled_for: Annotated[
        None, PydanticField(description="Not for a schedule's job: it is due when made")
    ] = None


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ScheduleName
    cron: CronExpression
    timezone: TimezoneName = DEFAULT_TIMEZONE
    job: ScheduledJob
    enabled: bool = True


class ScheduleChange(BaseModel):
    """PATCH /schedules/{name}: the fields sent change; `job` is replaced whole."""

    model_config = ConfigDict(extra="forbid")

    cron: CronExpression | None = None
    timezone: TimezoneName | None = None
    job: ScheduledJob | None = None
    enabled: bool | None = None
