"""What the store answers about jobs: small typed records, not database rows.

A job travels as its public fields (job_contract.jobs.JOB_FIELDS) in a plain dict, ready to
be written as JSON: building a pydantic model per job would cost more than the claim itself.
What the store takes of a runner's completion is a Completion, whose result is the JSON text
the contract's check made (CompleteBody, CompleteBatchBody).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from job_contract.jobs import public_fields
from job_contract.transitions import CLAIMABLE

# The public fields of one job, as public_fields() picks them from a row.
PublicJob = dict[str, Any]


class Completion(NamedTuple):
    """A runner says it completed a job: in `attempt` (when given), with this result."""

    id: UUID
    attempt: int | None
    result_json: str | None


class TypeControlState(NamedTuple):
    """What decides how a type's jobs are claimed: paused, or limited (any limit set)."""

    name: str
    paused: bool
    limited: bool


@dataclass(frozen=True, slots=True)
class Claim:
    """A job just leased to a runner, and how long it had been claimable."""

    job: PublicJob
    waited_seconds: float


@dataclass(frozen=True, slots=True)
class FinishedAttempt:
    """A job after a runner's attempt ended (completed or failed), and how long it ran.

    Its public shape is made only when asked for: a batch of completions answers with ids.
    `replayed`: the report had been recorded already (sent again after a lost answer), and
    changed nothing this time.
    """

    job_id: UUID
    status: str
    ran_seconds: float | None
    row: Mapping[str, Any] = field(repr=False)
    replayed: bool = False

    @property
    def job(self) -> PublicJob:
        return public_fields(self.row)

    @property
    def retry_scheduled(self) -> bool:
        """A failure that put the job back in the queue (after its back-off)."""
        return self.status == CLAIMABLE


class DueSchedule(NamedTuple):
    """A schedule whose next fire time has come, as the scheduler locked it."""

    name: str
    cron: str
    timezone: str
    next_run_at: datetime


class Firing(NamedTuple):
    """What the scheduler does with a due schedule: make the job of `fire_at` (its detail
    says so), and wait for `next_run_at`."""

    fire_at: datetime
    detail: str
    next_run_at: datetime


class FiredSchedule(NamedTuple):
    """A fire time taken: the job made, or None when it could not be (its type was deleted,
    or that time already had its job)."""

    name: str
    fire_at: datetime
    job_id: UUID | None
