"""The lifecycle's rules: which status each action may start from, and how that reads.

The producer's statements bind these sets, its 409 messages and the dashboard's wording are
made from them, and a test holds the worker's SQL to the statuses it may claim and report in.
"""

from collections.abc import Iterable
from enum import StrEnum
from types import MappingProxyType

from job_contract.statuses import JobStatus

# A runner claims only pending jobs, and its outcome counts only while the job is processing.
CLAIMABLE = JobStatus.PENDING
HELD = JobStatus.PROCESSING

# A job in one of these has stopped moving.
FINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})


class JobAction(StrEnum):
    """What a person (or a script) may do to jobs through the producer API."""

    CANCEL = "cancel"
    RETRY = "retry"
    DELETE = "delete"


ALLOWED_FROM = MappingProxyType(
    {
        JobAction.CANCEL: frozenset({JobStatus.PENDING}),
        # A manual retry is a fresh start for a job that stopped without completing.
        JobAction.RETRY: frozenset({JobStatus.FAILED, JobStatus.CANCELLED}),
        # Only history may be deleted: never a job a runner may still be working on.
        JobAction.DELETE: FINAL_STATUSES,
    }
)

_PAST_TENSE = {
    JobAction.CANCEL: "cancelled",
    JobAction.RETRY: "retried",
    JobAction.DELETE: "deleted",
}


def allows(action: JobAction, status: JobStatus | str) -> bool:
    return status in ALLOWED_FROM[action]


def in_order(statuses: Iterable[JobStatus]) -> list[JobStatus]:
    """The statuses in the lifecycle's order (pending first), however they were given."""
    chosen = set(statuses)
    return [status for status in JobStatus if status in chosen]


def statuses_phrase(statuses: Iterable[JobStatus], conjunction: str = "or") -> str:
    """ "pending", "failed or cancelled", "completed, failed or cancelled"."""
    names = [status.value for status in in_order(statuses)]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def rule(action: JobAction) -> str:
    """ "only failed or cancelled jobs can be retried": why a job was refused or skipped."""
    return f"only {statuses_phrase(ALLOWED_FROM[action])} jobs can be {_PAST_TENSE[action]}"
