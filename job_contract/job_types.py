"""Job types as data: a name, a payload schema, and the controls the claim obeys (SPEC,
section Job types). The built-ins are `statuses.JobType`; custom types are registered."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from job_contract.bounds import (
    MAX_CONCURRENCY,
    MAX_CONCURRENCY_KEY_CHARS,
    MAX_RATE_LIMIT_JOBS,
    MAX_RATE_LIMIT_SECONDS,
    MAX_TIMEOUT_SECONDS,
    MAX_TYPE_DESCRIPTION_CHARS,
    MaxAttempts,
)
from job_contract.text import NoNul

JOB_TYPE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
JobTypeName = Annotated[
    str,
    Field(
        pattern=JOB_TYPE_NAME_PATTERN,
        description="A lower-case letter, then letters, digits or _ (63 at most)",
        examples=["resize_image"],
    ),
]
ConcurrencyKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_CONCURRENCY_KEY_CHARS,
        description="Jobs of a type sharing a key obey its key_concurrency",
        examples=["customer-42"],
    ),
    NoNul,
]


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    jobs: Annotated[int, Field(ge=1, le=MAX_RATE_LIMIT_JOBS)]
    per_seconds: Annotated[float, Field(gt=0, le=MAX_RATE_LIMIT_SECONDS)]


Concurrency = Annotated[int, Field(ge=1, le=MAX_CONCURRENCY)]
TimeoutSeconds = Annotated[float, Field(gt=0, le=MAX_TIMEOUT_SECONDS)]


class JobTypeControls(BaseModel):
    """How the claim treats a type's jobs; None means no limit."""

    paused: bool = Field(default=False, description="No job of the type is claimed")
    concurrency: Concurrency | None = Field(
        default=None, description="At most this many of its jobs processing at once"
    )
    key_concurrency: Concurrency | None = Field(
        default=None, description="At most this many processing at once per concurrency_key"
    )
    rate_limit: RateLimit | None = Field(
        default=None, description="At most `jobs` claims in any `per_seconds` seconds"
    )
    timeout_seconds: TimeoutSeconds | None = Field(
        default=None, description="A runner gives up on a job after this long (retryable)"
    )
    default_max_attempts: MaxAttempts | None = Field(
        default=None, description="A job's max_attempts when it does not say"
    )


class JobTypeControlsChange(JobTypeControls):
    """PATCH /job-types/{name}: only the fields sent change; null lifts a limit."""

    model_config = ConfigDict(extra="forbid")


class JobTypeRegistration(BaseModel):
    """PUT /job-types/{name}: a custom type's payload schema (JSON Schema, draft 2020-12)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    payload_schema: dict[str, Any] = Field(alias="schema")
    description: Annotated[str, Field(max_length=MAX_TYPE_DESCRIPTION_CHARS), NoNul] = ""


class JobTypeInfo(JobTypeControls):
    """A type as GET /job-types lists it, with how many of its jobs wait and run now."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    name: str
    builtin: bool
    payload_schema: dict[str, Any] = Field(alias="schema")
    description: str
    example: dict[str, Any] | None = None
    pending: int
    processing: int
    updated_at: datetime


class JobTypeList(BaseModel):
    types: list[JobTypeInfo]
