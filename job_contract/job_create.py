"""A job to create: what POST /jobs, each item of /jobs/batch, and a schedule's job template
say. Its payload is checked against its type's schema by the producer API (types are rows,
known at run time)."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from job_contract.bounds import DEFAULT_MAX_ATTEMPTS, DEFAULT_PRIORITY, MaxAttempts, Priority
from job_contract.callbacks import CallbackUrl
from job_contract.job_types import ConcurrencyKey, JobTypeName
from job_contract.timestamps import UtcTimestamp


class JobCreate(BaseModel):
    """A job to create. Its payload is checked against its type's schema by the route (the
    types are rows, known at run time): pydantic models for the built-ins, JSON Schema for
    custom types."""

    model_config = ConfigDict(extra="forbid")

    type: Annotated[
        JobTypeName,
        Field(description="A registered job type: GET /job-types lists them"),
    ]
    payload: Annotated[
        dict[str, Any],
        Field(description="Checked against the type's schema (GET /job-types)"),
    ]
    priority: Priority = DEFAULT_PRIORITY
    max_attempts: Annotated[
        MaxAttempts | None,
        Field(description=f"Default: the type's default_max_attempts, else {DEFAULT_MAX_ATTEMPTS}"),
    ] = None
    scheduled_for: Annotated[
        UtcTimestamp | None,
        Field(description="Not claimable before this time; no zone means UTC"),
    ] = None
    concurrency_key: ConcurrencyKey | None = None
    callback_url: CallbackUrl | None = None
