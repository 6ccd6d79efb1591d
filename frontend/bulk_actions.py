"""The job list's bulk actions: how each reads, in words made from the contract's rules, and
the panel the list shows above its table after a bulk button, for the selected rows or for
every job the list's filters match.

The sentences name the statuses job_contract.transitions allows each action from, so the
panel cannot promise what the producer API would refuse.
"""

from dataclasses import dataclass, field
from types import MappingProxyType
from uuid import UUID

from job_contract import JobAction, JobStatus
from job_contract.bounds import MAX_BULK_MATCHES
from job_contract.producer_api import BulkCount, BulkResult
from job_contract.transitions import ALLOWED_FROM, rule, statuses_phrase

_SKIPPED = "the others are skipped."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _allowed(action: JobAction) -> str:
    """ "failed and cancelled": the statuses an action takes jobs from, all of them."""
    return statuses_phrase(ALLOWED_FROM[action], conjunction="and")


@dataclass(frozen=True)
class BulkWording:
    verb: str  # the button and the question: "Cancel 3 selected jobs?"
    done: str  # the outcome's heading: "Cancelled: 2 of 3 jobs."
    rule: str  # which jobs it acts on, and that the rest are left alone
    destructive: bool = False  # cannot be undone: its buttons look dangerous


BULK_WORDING = MappingProxyType(
    {
        JobAction.CANCEL: BulkWording(
            "Cancel", "Cancelled", f"{_sentence(rule(JobAction.CANCEL))}; {_SKIPPED}"
        ),
        JobAction.RETRY: BulkWording(
            "Retry",
            f"Sent back to {JobStatus.PENDING}",
            f"{_sentence(_allowed(JobAction.RETRY))} jobs go back to {JobStatus.PENDING}"
            f" with their attempts reset; {_SKIPPED}",
        ),
        JobAction.DELETE: BulkWording(
            "Delete",
            "Deleted",
            f"{_sentence(_allowed(JobAction.DELETE))} jobs are deleted for good,"
            f" with their history; {_SKIPPED}",
            destructive=True,
        ),
    }
)


@dataclass(frozen=True)
class BulkPanel:
    """What the list shows above the table after a bulk button: a question, or the outcome."""

    action: JobAction | None  # None: the form asked for an action there is not
    ids: list[UUID] = field(default_factory=list)
    outcome: BulkResult | None = None
    problem: str | None = None
    # "Select all N matching": the whole filter's counts, a dry run's until `acted`.
    matching: BulkCount | None = None
    acted: bool = False

    @property
    def wording(self) -> BulkWording | None:
        return BULK_WORDING[self.action] if self.action else None

    @property
    def capped(self) -> str | None:
        """When more jobs match than one action takes, which of them it takes."""
        if self.matching is None or self.matching.matched < MAX_BULK_MATCHES:
            return None
        return (
            f"One action takes the oldest {MAX_BULK_MATCHES:,} matching jobs; repeat it for more."
        )
