"""What the store takes and answers about jobs: small typed records, not database rows.

A job travels as its public fields (job_contract.jobs.JOB_FIELDS) in a plain dict, ready to
be written as JSON: building a pydantic model per job would cost more than the claim itself.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from job_contract.transitions import CLAIMABLE

# The public fields of one job, as public_fields() picks them from a row.
PublicJob = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Completion:
    """A runner's report that a job finished: the fencing attempt, and its result."""

    id: UUID
    attempt: int | None
    result: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Claim:
    """A job just leased to a runner, and how long it had been claimable."""

    job: PublicJob
    waited_seconds: float


@dataclass(frozen=True, slots=True)
class FinishedAttempt:
    """A job after a runner's attempt ended (completed or failed), and how long it ran."""

    job: PublicJob
    ran_seconds: float | None

    @property
    def job_id(self) -> UUID:
        job_id: UUID = self.job["id"]
        return job_id

    @property
    def retry_scheduled(self) -> bool:
        """A failure that put the job back in the queue (after its back-off)."""
        return bool(self.job["status"] == CLAIMABLE)
