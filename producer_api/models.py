"""The tables (SQLModel, mirroring the Alembic migrations) and the API's request models.

A job to create is job_contract's JobCreate (schedules reuse it for their job template).

What the API answers is the contract's (job_contract.jobs, job_contract.producer_api).
"""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import sqlalchemy as sa
from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from job_contract import JobAction
from job_contract.analytics import ERROR_GROUP_PATTERN
from job_contract.bounds import (
    DEFAULT_PRIORITY,
    MAX_BULK_MATCHES,
    MAX_JOBS_PER_REQUEST,
    MAX_PRIORITY,
    MAX_SEARCH_CHARS,
    MIN_PRIORITY,
    MaxAttempts,
    Priority,
)
from job_contract.callbacks import CallbackUrl
from job_contract.job_create import JobCreate
from job_contract.job_types import ConcurrencyKey, JobTypeName
from job_contract.payloads import PAYLOAD_EXAMPLES
from job_contract.schedules import (
    DEFAULT_TIMEZONE,
    SCHEDULE_NAME_PATTERN,
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
        # The alert rule on failures (migration 0012).
        sa.Index(
            "jobs_failed_updated_at_idx",
            "updated_at",
            postgresql_where=sa.text("status = 'failed'"),
        ),
        # Schedules (migration 0014): one job per schedule and fire time; a schedule's jobs.
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
        # The cleaner's and the export's: finished jobs by finish time (migration 0011).
        sa.Index(
            "jobs_finished_idx",
            "status",
            sa.text("job_finished_at(completed_at, updated_at)"),
            postgresql_where=sa.text("status IN ('completed', 'failed', 'cancelled')"),
        ),
        # GET /jobs?error_group= (migration 0013).
        sa.Index(
            "jobs_error_group_idx",
            "error_group",
            "created_at",
            "id",
            postgresql_where=sa.text("error_group IS NOT NULL"),
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
    callback_url: str | None = Field(default=None, sa_type=sa.Text)
    # Set by a trigger from `error` (migration 0013): the failure's group.
    error_group: str | None = Field(default=None, sa_type=sa.Text)
    schedule: str | None = Field(default=None, sa_type=sa.Text)
    schedule_fire_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)


class ScheduleRow(SQLModel, table=True):
    """A recurring job (migration 0014): its cron in its time zone, the job it makes, and
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
# Analytics rollups (migration 0013): trigger rows, until the compactor moves them into the
# two tables below (migration 0016; `folded` is no longer used).
job_analytics_deltas = sa.Table(
    "job_analytics_deltas",
    metadata,
    sa.Column("period", _TIMESTAMP, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("measure", sa.Text, nullable=False),
    sa.Column("bin", sa.Integer),
    sa.Column("jobs", sa.BigInteger, nullable=False),
    sa.Column("folded", sa.Boolean, nullable=False, server_default=sa.false()),
)
# Timing histograms per window bucket (migration 0016): the compactor folds the trigger rows
# of job_analytics_deltas into them; jobs[k + 1] is the jobs in bin k.
job_analytics_histograms = sa.Table(
    "job_analytics_histograms",
    metadata,
    sa.Column("grain", sa.Interval, primary_key=True),
    sa.Column("period", _TIMESTAMP, primary_key=True),
    sa.Column("type", sa.Text, primary_key=True),
    sa.Column("measure", sa.Text, primary_key=True),
    sa.Column("untimed", sa.BigInteger, nullable=False),
    sa.Column("jobs", ARRAY(sa.BigInteger), nullable=False),
)
# Jobs created per hour and type, the last 8 days (the heatmap's).
job_created_hours = sa.Table(
    "job_created_hours",
    metadata,
    sa.Column("hour", _TIMESTAMP, primary_key=True),
    sa.Column("type", sa.Text, primary_key=True),
    sa.Column("jobs", sa.BigInteger, nullable=False),
)
job_error_deltas = sa.Table(
    "job_error_deltas",
    metadata,
    sa.Column("period", _TIMESTAMP, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("error_group", sa.Text, nullable=False),
    sa.Column("failures", sa.BigInteger, nullable=False),
    sa.Column("first_at", _TIMESTAMP, nullable=False),
    sa.Column("last_at", _TIMESTAMP, nullable=False),
    sa.Column("sample", sa.Text, nullable=False),
    sa.Column("sample_job", sa.Uuid, nullable=False),
    sa.Column("folded", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index(
        "job_error_deltas_folded_key",
        "period",
        "type",
        "error_group",
        unique=True,
        postgresql_where=sa.text("folded"),
    ),
)


# Callbacks and alerts (migration 0012): the worker service writes them (its own raw SQL),
# this API lists them and queues redeliveries.
callback_deliveries = sa.Table(
    "callback_deliveries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True, server_default=sa.text("gen_random_uuid()")),
    sa.Column("job_id", sa.Uuid, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),
    sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
    sa.Column("body", sa.Text),
    sa.Column("created_at", _TIMESTAMP, nullable=False, server_default=sa.text("now()")),
    sa.Column("next_try_at", _TIMESTAMP, nullable=False, server_default=sa.text("now()")),
    sa.Column("finished_at", _TIMESTAMP),
    sa.Index(
        "callback_deliveries_due_idx", "next_try_at", postgresql_where=sa.text("state = 'pending'")
    ),
    sa.Index("callback_deliveries_job_idx", "job_id"),
    sa.Index(
        "callback_deliveries_failed_idx", "job_id", postgresql_where=sa.text("state = 'failed'")
    ),
)
callback_attempts = sa.Table(
    "callback_attempts",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column(
        "delivery_id",
        sa.Uuid,
        sa.ForeignKey("callback_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", _TIMESTAMP, nullable=False, server_default=sa.text("now()")),
    sa.Column("duration_ms", sa.Double, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("response_excerpt", sa.Text),
    sa.Index("callback_attempts_delivery_idx", "delivery_id", "id"),
)
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("covers_until", _TIMESTAMP, nullable=False, server_default=sa.text("now()")),
    sa.Column("created_at", _TIMESTAMP, nullable=False, server_default=sa.text("now()")),
    sa.Column("sent_at", _TIMESTAMP),
    sa.Column("error", sa.Text),
    sa.Index("alerts_rule_subject_idx", "rule", "subject", "created_at"),
    sa.Index("alerts_created_at_idx", "created_at"),
)


# --- requests -----------------------------------------------------------------------------


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


def _as_list(value: object) -> object:
    """A body may give one value as a string, as a query string does by naming it once."""
    return [value] if isinstance(value, str) else value


FilterValues = Annotated[list[str] | None, BeforeValidator(_as_list)]


class JobFilterFields(BaseModel):
    """GET /jobs's filters (its query parameters), and POST /jobs/bulk's `filter`; the
    routes read both into one JobFilter with routes/job_filter.py."""

    status: FilterValues = PydanticField(None, description="Repeat or comma-separate")
    type: FilterValues = PydanticField(None, description="Repeat or comma-separate")
    priority: FilterValues = PydanticField(
        None, description=f"{MIN_PRIORITY}–{MAX_PRIORITY}; repeat or comma-separate"
    )
    q: str | None = PydanticField(
        None,
        max_length=MAX_SEARCH_CHARS,
        description="An id prefix, or text anywhere in the payload",
    )
    created_after: UtcTimestamp | None = PydanticField(None, description="No zone means UTC")
    created_before: UtcTimestamp | None = PydanticField(None, description="No zone means UTC")
    callback: Literal["failed"] | None = PydanticField(
        None, description="`failed`: only jobs whose callback finally failed"
    )
    error_group: str | None = PydanticField(
        None,
        pattern=ERROR_GROUP_PATTERN,
        description="Jobs whose last failure is of this group (GET /analytics)",
    )
    schedule: str | None = PydanticField(
        None, pattern=SCHEDULE_NAME_PATTERN, description="Only the jobs this schedule made"
    )


class BodyFilter(JobFilterFields):
    """The filters as a JSON object: a misspelt filter is refused, never read as "all jobs"."""

    model_config = ConfigDict(extra="forbid")


class BulkAction(BaseModel):
    """`ids`, or `filter` with its own `limit` and `dry_run`: the route refuses other mixes."""

    model_config = ConfigDict(extra="forbid")

    action: JobAction
    ids: Annotated[
        list[UUID] | None, PydanticField(min_length=1, max_length=MAX_JOBS_PER_REQUEST)
    ] = None
    filter: BodyFilter | None = PydanticField(
        None, description="Instead of `ids`: every job these GET /jobs filters match"
    )
    limit: Annotated[
        int | None,
        PydanticField(
            ge=1,
            le=MAX_BULK_MATCHES,
            description=f"With `filter`: act on at most this many, oldest first"
            f" (default {MAX_BULK_MATCHES:,})",
        ),
    ] = None
    dry_run: bool = PydanticField(
        False, description="With `filter`: only count what a real run would match and do"
    )


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


class ScheduledJobChange(BaseModel):
    """A PATCH's `job`: merged into the stored template as JSON Merge Patch (RFC 7396) would,
    one level deep. A field sent replaces the stored one (`payload` whole), `null` removes an
    optional one (`callback_url`, `concurrency_key`; `priority` and `max_attempts` go back to
    their defaults), a field left out stays."""

    model_config = ConfigDict(extra="forbid")

    type: JobTypeName | None = None
    payload: dict[str, Any] | None = None
    priority: Priority | None = None
    max_attempts: MaxAttempts | None = None
    concurrency_key: ConcurrencyKey | None = None
    callback_url: CallbackUrl | None = None

    @field_validator("type", "payload")
    @classmethod
    def _required(cls, value: Any) -> Any:
        # Only reached when sent: a template always has a type and a payload.
        if value is None:
            raise ValueError("a schedule's job always has one: send a value, or leave it out")
        return value

    def merged_into(self, template: dict[str, Any]) -> dict[str, Any]:
        """The stored template with this change applied; removed fields left out."""
        sent = self.model_dump(mode="json", include=self.model_fields_set)
        return {key: value for key, value in {**template, **sent}.items() if value is not None}


class ScheduleChange(BaseModel):
    """PATCH /schedules/{name}: the fields sent change; `job` is merged field by field
    (ScheduledJobChange). `timezone: null` goes back to UTC; cron and enabled cannot be null."""

    model_config = ConfigDict(extra="forbid")

    cron: CronExpression | None = None
    timezone: TimezoneName | None = None
    job: ScheduledJobChange | None = None
    enabled: bool | None = None

    @field_validator("cron", "enabled", "job")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only reached when sent: null here would silently keep the value, so refuse it.
        if value is None:
            raise ValueError("cannot be null: send a value, or leave the field out to keep it")
        return value

    def new_timezone(self) -> str | None:
        """The zone to store: the one sent, UTC for null, None when left out (kept)."""
        if "timezone" in self.model_fields_set and self.timezone is None:
            return DEFAULT_TIMEZONE
        return self.timezone
