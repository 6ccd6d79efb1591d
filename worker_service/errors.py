"""What the worker service refuses, and why: its domain errors.

The store raises them; main.py's exception handlers alone decide which HTTP status each one
gets. Each concrete error's docstring is its message, filled in from its fields.
"""

from dataclasses import dataclass
from uuid import UUID


class WorkerServiceError(Exception):
    """Something asked of the worker service that the state of the jobs does not allow."""

    def __str__(self) -> str:
        return (self.__doc__ or "").format(**vars(self))


# eq=False: an exception compares (and hashes) by identity, as tracebacks and loggers expect.
@dataclass(eq=False)
class JobNotFound(WorkerServiceError):
    """job {job_id} not found"""

    job_id: UUID


@dataclass(eq=False)
class ReportNotFound(WorkerServiceError):
    """no report called {name!r}"""

    name: str


@dataclass(eq=False)
class OutcomeRefused(WorkerServiceError):
    """job {job_id} does not accept this outcome"""

    job_id: UUID


@dataclass(eq=False)
class JobNotHeld(OutcomeRefused):
    """job {job_id} is {status}, not processing"""

    status: str


@dataclass(eq=False)
class ArtifactNotExpected(OutcomeRefused):
    """job {job_id} is of type {job_type}; only {expected} jobs have files"""

    job_type: str
    expected: str


@dataclass(eq=False)
class AttemptSuperseded(OutcomeRefused):
    """job {job_id} is on attempt {current}; attempt {reported} lost its lease"""

    current: int
    reported: int


@dataclass(eq=False)
class HeldByAnother(OutcomeRefused):
    """job {job_id} is held by {runner}"""

    runner: str | None
