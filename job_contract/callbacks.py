"""Callbacks: the URL a job's outcome is sent to, what is sent, and each delivery's record.

The producer API validates `callback_url` with `CallbackUrl`, the worker service sends
`CallbackMessage` bodies, and both APIs and the dashboard read `DeliveryPublic`.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from job_contract.bounds import MAX_CALLBACK_URL_CHARS
from job_contract.statuses import JobStatus


class CallbackEvent(StrEnum):
    """The `type` of a callback message: which outcome it tells."""

    COMPLETED = "job.completed"
    FAILED = "job.failed"


# The outcomes a callback tells (a cancel tells nothing). The database trigger of migration
# 0012 queues a delivery when a job with a callback_url enters one of these.
TOLD_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED})


class DeliveryState(StrEnum):
    PENDING = "pending"  # queued, or waiting for its next try
    DELIVERED = "delivered"  # a try was answered 2xx
    FAILED = "failed"  # gave up: out of tries, 410, or refused (SSRF)


def check_callback_url(value: str) -> str:
    """An absolute http(s) URL with a host; anything else is refused with why."""
    if any(character.isspace() or ord(character) < 32 for character in value):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # reading it checks it: a bad port raises here
    except ValueError as error:
        raise ValueError(f"is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    return value


CallbackUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_CALLBACK_URL_CHARS,
        description="Told the outcome (signed POST) once the job completes or fails for good",
        examples=["https://example.com/hooks/jobdeck"],
    ),
    AfterValidator(check_callback_url),
]


class CallbackMessage(BaseModel):
    """The body POSTed to a callback URL (Standard Webhooks' envelope)."""

    type: CallbackEvent
    timestamp: datetime
    data: dict[str, Any] = Field(description="The job, as GET /jobs/{id} shows it (no events)")


class DeliveryAttemptPublic(BaseModel):
    """One try: when, how long, and what came back (a status, or why there was none)."""

    at: datetime
    duration_ms: float
    status_code: int | None
    error: str | None
    response_excerpt: str | None


class DeliveryPublic(BaseModel):
    id: UUID = Field(description="Sent as `webhook-id` (msg_ and this id without dashes)")
    webhook_id: str
    event: CallbackEvent
    url: str
    state: DeliveryState
    created_at: datetime
    next_try_at: datetime | None = Field(description="When the next try is due, while pending")
    finished_at: datetime | None
    attempts: list[DeliveryAttemptPublic]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryPublic] = Field(description="Newest first")


class RedeliveryQueued(BaseModel):
    delivery: DeliveryPublic


class AlertRule(StrEnum):
    JOBS_FAILED = "jobs_failed"
    FAILURE_RATE = "failure_rate"
    RUNNER_DOWN = "runner_down"


class AlertPublic(BaseModel):
    id: int
    rule: AlertRule
    subject: str = Field(description="The job type, or the runner, it is about")
    text: str
    created_at: datetime
    sent_at: datetime | None
    error: str | None = Field(description="Why it was not sent, if it was not")


class AlertList(BaseModel):
    alerts: list[AlertPublic] = Field(description="Newest first")


def webhook_id(delivery_id: UUID) -> str:
    """The `webhook-id` of a delivery: stable across its retries, new for a redelivery."""
    return f"msg_{delivery_id.hex}"
