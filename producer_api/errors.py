"""Domain errors: the store raises them, main.py maps each to one HTTP status.

Each docstring is its message, filled in with the facts the error is raised with.
"""

from typing import Any


class JobError(Exception):
    """a request about a job could not be served"""

    def __init__(self, **facts: Any) -> None:
        super().__init__((type(self).__doc__ or "").format(**facts))


class JobNotFound(JobError):
    """job {job_id} not found"""


class ArtifactNotFound(JobError):
    """job {job_id} has no artifact"""


class JobStateConflict(JobError):
    """job {job_id} is {status}; {rule}"""


class IdempotencyConflict(JobError):
    """Idempotency-Key {key!r} was already used with a different request body"""


class BatchTooLarge(JobError):
    """jobs: {count} items is over the limit of {limit} per batch"""


class JobTypeNotFound(JobError):
    """job type {name!r} not found"""


class BuiltinJobType(JobError):
    """{name!r} is a built-in job type: it cannot be {action}"""


class JobTypeInUse(JobError):
    """job type {name!r} has {pending} pending and {processing} processing jobs; wait or cancel"""


class JobTypeRetired(JobError):
    """job {job_id} is of job type {name!r}, which was deleted: register it again first"""


class UnknownJobType(JobError):
    """{name!r} is not a registered job type (GET /job-types lists them)"""

    def __init__(self, loc: tuple[str | int, ...], name: str) -> None:
        super().__init__(name=name)
        self.loc = loc


class NothingToRedeliver(JobError):
    """job {job_id} has no outcome to send again: {why}"""


class ScheduleNotFound(JobError):
    """schedule {name!r} not found"""


class ScheduleNameTaken(JobError):
    """a schedule named {name!r} already exists"""


class ScheduleTypeGone(JobError):
    """schedule {name!r} makes jobs of type {job_type!r}, which was deleted: change its job"""
