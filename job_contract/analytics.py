"""GET /analytics's answer: outcomes and timings per type, error groups, the weekday heatmap.

Times are seconds. Percentiles come from a histogram whose bins grow by 10 %, read at a
bin's geometric middle: within 5 % of the exact value (0.5 ms below 1 ms). The API declares
these as its response model and the dashboard parses the same ones.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from job_contract.bounds import StatsWindowName

# An error group's id: the first 16 hex digits of the md5 of its masked message.
ERROR_GROUP_PATTERN = r"^[0-9a-f]{16}$"
ErrorGroupId = Annotated[str, Field(pattern=ERROR_GROUP_PATTERN, examples=["3f1c0a9be2d47781"])]
# GET /analytics lists at most this many error groups, those with the most failures.
MAX_ERROR_GROUPS = 50
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RunTimes(BaseModel):
    """Claimed → finished, of the attempts that completed or failed a job."""

    p50: float | None
    p95: float | None
    p99: float | None


class WaitTimes(BaseModel):
    """Ready (the later of when the job became pending and `scheduled_for`) → claimed."""

    p50: float | None
    p95: float | None


class Outcomes(BaseModel):
    completed: int
    failed: int
    success_rate: float | None = Field(description="completed / (completed + failed)")
    run_seconds: RunTimes
    wait_seconds: WaitTimes


class AnalyticsBucket(Outcomes):
    bucket: datetime


class TypeAnalytics(Outcomes):
    type: str
    throughput_per_minute: float = Field(description="jobs finished per minute in the window")
    series: list[AnalyticsBucket]


class ErrorGroup(BaseModel):
    group: ErrorGroupId
    pattern: str = Field(description="the message with numbers, ids, addresses and quotes masked")
    sample: str = Field(description="the latest message of the group")
    count: int = Field(description="failed attempts in the window")
    types: list[str]
    first_seen: datetime
    last_seen: datetime
    sample_job: UUID = Field(description="the job that failed with the sample")


class WeekdayHours(BaseModel):
    weekday: str = Field(examples=["Mon"])
    hours: list[int] = Field(description="jobs created in each hour 0–23, UTC")


class Analytics(BaseModel):
    window: StatsWindowName
    bucket_seconds: int
    types: list[TypeAnalytics]
    error_groups: list[ErrorGroup]
    by_hour: list[WeekdayHours] = Field(description="Monday first, the last 7 days (168 hours)")
