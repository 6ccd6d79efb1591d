"""What the pages add to the contract's models: a job's short id and what its status allows.

Everything the dashboard reads over HTTP is parsed with job_contract's models; only the
helpers the templates lean on are defined here.
"""

from dataclasses import dataclass

from pydantic import Field

from job_contract import FINAL_STATUSES, EventPublic, JobAction, JobDetail, JobStatus, JobType
from job_contract.producer_api import JobPage
from job_contract.transitions import allows


class Job(JobDetail):
    """A job as the pages show it; one from a list page comes without its timeline."""

    events: list[EventPublic] = Field(default_factory=list)

    @property
    def short_id(self) -> str:
        return str(self.id)[:8]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def can_cancel(self) -> bool:
        return allows(JobAction.CANCEL, self.status)

    @property
    def can_retry(self) -> bool:
        return allows(JobAction.RETRY, self.status)

    @property
    def has_artifact(self) -> bool:
        """Report jobs upload their file before they complete."""
        return self.type == JobType.REPORT and self.status == JobStatus.COMPLETED


class JobList(JobPage):
    """A page of GET /jobs, its rows read as Jobs."""

    items: list[Job]  # type: ignore[assignment]  # a Job is a JobPublic with helpers


@dataclass(frozen=True)
class Artifact:
    """The file a report job produced, as the producer API serves it."""

    content: bytes
    content_type: str
    content_disposition: str | None
