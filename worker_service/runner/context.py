"""What a handler gets: the job, the runner's settings, and the worker service's help."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from job_contract import JobType
from job_contract.payloads import ReportType
from worker_service.runner.settings import RunnerSettings

# (content, content type, filename) -> None: stores the job's file via PUT /artifacts/{id}.
UploadArtifact = Callable[[bytes, str, str], Awaitable[None]]
# (report type, start, end) -> rows: GET /report-data/{type} on the worker service.
FetchReportRows = Callable[[ReportType, date, date], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class JobContext:
    id: UUID
    type: JobType
    attempt: int
    payload: BaseModel  # already validated against job_contract's model for `type`
    settings: RunnerSettings
    upload_artifact: UploadArtifact
    fetch_report_rows: FetchReportRows
