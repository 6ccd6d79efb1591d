"""What the producer API answers about retention: one cleanup's outcome, and their history.

The API declares these as response models; the dashboard and `jobdeck cleanup` read them.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from job_contract.statuses import JobStatus

# The statuses the cleaner removes, in the order pages and answers list them.
RETIRED_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class CleanupTrigger(StrEnum):
    SCHEDULE = "schedule"  # the worker service's timer
    API = "api"  # POST /maintenance/cleanup (the dashboard's button too)
    CLI = "cli"  # jobdeck cleanup


class CleanupResult(BaseModel):
    dry_run: bool
    deleted: dict[JobStatus, int] = Field(
        description="jobs deleted per status; on a dry run, how many would be"
    )
    archived_to: str | None = Field(
        description="the ARCHIVE_DIR the deleted jobs were appended to; null when none was"
    )


class CleanupRun(CleanupResult):
    id: int
    started_at: datetime
    duration_ms: int
    trigger: CleanupTrigger
    requested_by: str | None = Field(description="the token's name, for a run asked for")
    archive_files: list[str] = Field(description="the files of ARCHIVE_DIR it appended to")
    error: str | None = Field(description="why it stopped early, when it did")


class CleanupHistory(BaseModel):
    runs: list[CleanupRun]


class RetentionPolicy(BaseModel):
    """The settings in force, as the maintenance page shows them."""

    retain_days: dict[JobStatus, int]
    archive_dir: str | None
    batch_size: int


class TableSize(BaseModel):
    bytes: int = Field(description="on disk, with indexes and TOAST")
    rows_estimate: int = Field(description="live rows, from PostgreSQL's statistics")


class CleanupOverview(CleanupHistory):
    """GET /maintenance/cleanup: the history, and what the maintenance page shows beside it."""

    policy: RetentionPolicy
    tables: dict[str, TableSize] = Field(
        description="jobs, job_events, job_artifacts, job_search, from PostgreSQL's catalog"
    )
