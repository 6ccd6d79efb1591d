"""Domain errors: the store raises them, main.py maps each to one HTTP status."""

from uuid import UUID


class JobError(Exception):
    """Base of the errors a request about a job can meet; the message is shown to the user."""


class JobNotFound(JobError):
    def __init__(self, job_id: UUID) -> None:
        super().__init__(f"job {job_id} not found")


class ArtifactNotFound(JobError):
    def __init__(self, job_id: UUID) -> None:
        super().__init__(f"job {job_id} has no artifact")


class JobStateConflict(JobError):
    """The job exists but its status does not allow the action."""

    def __init__(self, job_id: UUID, status: str, rule: str) -> None:
        super().__init__(f"job {job_id} is {status}; {rule}")


class IdempotencyConflict(JobError):
    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used with a different request body")


class BatchTooLarge(JobError):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"jobs: {count} items is over the limit of {limit} per batch")
