"""One payload model per job type; unknown fields are refused."""

from datetime import date
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field, TypeAdapter, model_validator

from job_contract.statuses import JobType
from job_contract.text import NoNul
from job_contract.timestamps import LATEST_DAY


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmailPayload(_Payload):
    to: Annotated[EmailStr, Field(description="Recipient address", examples=["ada@example.com"])]
    subject: Annotated[str, Field(min_length=1, max_length=200, examples=["Welcome aboard"]), NoNul]
    body: Annotated[str, Field(min_length=1, max_length=10_000, examples=["Hello Ada!"]), NoNul]


class DateRange(_Payload):
    start: date
    # The report reads up to the end of this day: the day after it must be a timestamp too.
    end: Annotated[date, Field(le=LATEST_DAY)]

    @model_validator(mode="after")
    def _start_not_after_end(self) -> Self:
        if self.start > self.end:
            raise ValueError("start must be on or before end")
        return self


ReportType = Literal["jobs_summary", "failures", "throughput"]
REPORT_TYPES: tuple[ReportType, ...] = get_args(ReportType)
ReportFormat = Literal["csv", "pdf"]


class ReportPayload(_Payload):
    report_type: ReportType
    format: ReportFormat
    date_range: DateRange


class NotificationPayload(_Payload):
    user_id: Annotated[str, Field(min_length=1, max_length=100, examples=["user-42"]), NoNul]
    channel: Literal["push", "sms", "email"]
    message: Annotated[
        str, Field(min_length=1, max_length=1_000, examples=["Your export is ready"]), NoNul
    ]


PAYLOAD_MODELS: dict[JobType, type[_Payload]] = {
    JobType.EMAIL: EmailPayload,
    JobType.REPORT: ReportPayload,
    JobType.NOTIFICATION: NotificationPayload,
}

PAYLOAD_EXAMPLES: dict[JobType, dict[str, Any]] = {
    JobType.EMAIL: {"to": "ada@example.com", "subject": "Welcome aboard", "body": "Hello Ada!"},
    JobType.REPORT: {
        "report_type": "jobs_summary",
        "format": "pdf",
        "date_range": {"start": "2026-11-01", "end": "2026-11-24"},
    },
    JobType.NOTIFICATION: {"user_id": "user-42", "channel": "push", "message": "Export ready"},
}

_ADAPTERS = {job_type: TypeAdapter(model) for job_type, model in PAYLOAD_MODELS.items()}


def validate_payload(job_type: JobType, payload: object) -> _Payload:
    """Validate a stored or received payload (raises pydantic.ValidationError)."""
    return _ADAPTERS[job_type].validate_python(payload)


def payload_json_schemas() -> dict[JobType, dict[str, Any]]:
    """The JSON Schema of each payload: the dashboard builds its create form from these."""
    return {job_type: model.model_json_schema() for job_type, model in PAYLOAD_MODELS.items()}
