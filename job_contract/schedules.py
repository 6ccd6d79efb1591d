"""Schedules (SPEC, section Schedules): a cron in an IANA zone and the job it makes each time.

The job template is the producer's create-job request (so it is checked exactly like POST
/jobs); these are the names and the answer's shape that both the API and the dashboard read.
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field

from job_contract.statuses import JobStatus

# No dot: the name is also an HTML id the dashboard targets with a CSS selector.
SCHEDULE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
ScheduleName = Annotated[
    str,
    Field(
        pattern=SCHEDULE_NAME_PATTERN,
        description="Lower-case letters, digits, _ and - (100 at most); it is the schedule's URL",
        examples=["nightly-report"],
    ),
]
CronExpression = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="Five fields: minute hour day-of-month month day-of-week",
        examples=["*/10 * * * *", "30 2 * * *"],
    ),
]
TimezoneName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="An IANA time zone name; the cron is read in it (DST included)",
        examples=["UTC", "Europe/Berlin"],
    ),
]
DEFAULT_TIMEZONE = "UTC"


class ScheduleLastJob(BaseModel):
    """The newest job the schedule made (fired or run by hand)."""

    id: UUID
    status: JobStatus
    created_at: datetime


class SchedulePublic(BaseModel):
    name: str
    cron: str
    description: str = Field(description="The cron in words, e.g. 'Every 10 minutes'")
    timezone: str
    job: dict[str, Any] = Field(description="The job it creates: the fields of POST /jobs")
    enabled: bool
    next_runs: list[datetime] = Field(
        description="The next five fire times, UTC (empty while disabled)"
    )
    last_job: ScheduleLastJob | None
    created_at: datetime
    updated_at: datetime


class ScheduleList(BaseModel):
    schedules: list[SchedulePublic]
