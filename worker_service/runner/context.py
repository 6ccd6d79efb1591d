"""What a handler gets: the job, the runner's settings, and the worker service's help."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from job_contract.payloads import ReportType
from worker_service.runner.settings import RunnerSettings

# (content, content type, filename) -> None: stores the job's file via PUT /artifacts/{id}.
UploadArtifact = Callable[[bytes, str, str], Awaitable[None]]
# (report type, start, end) -> rows: GET /report-data/{type} on the worker service.
FetchReportRows = Callable[[ReportType, date, date], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class JobContext:
    id: UUID
    type: str
    attempt: int
    # A built-in type's payload is validated against its job_contract model and given as that
    # model; a custom type's was validated against its JSON Schema when the job was created.
    payload: BaseModel | dict[str, Any]
    settings: RunnerSettings
    upload_artifact: UploadArtifact
    fetch_report_rows: FetchReportRows
