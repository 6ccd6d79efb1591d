"""One handler per job type. A handler does the job's real work and returns its result.

Raising `PermanentFailure` fails the job at once; any other exception is a retryable failure
whose message becomes the job's error.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from job_contract import JobType
from worker_service.runner.context import JobContext

Handler = Callable[[JobContext], Awaitable[dict[str, Any]]]


class PermanentFailure(Exception):
    """Retrying cannot help (an invalid payload, a refused recipient): fail the job now."""


def handler_for(job_type: JobType) -> tuple[Handler, float]:
    """The handler of a job type and how long it may run, in seconds."""
    # Imported here so each handler module can import this one for PermanentFailure.
    from worker_service.runner.handlers import email, notification, report

    return {
        JobType.EMAIL: (email.handle, email.TIMEOUT_SECONDS),
        JobType.REPORT: (report.handle, report.TIMEOUT_SECONDS),
        JobType.NOTIFICATION: (notification.handle, notification.TIMEOUT_SECONDS),
    }[job_type]
