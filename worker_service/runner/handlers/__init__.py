"""What a handler is. A handler does one job's real work and returns its result.

`async def handle(job: JobContext) -> dict[str, Any]`: `job.payload` is the validated payload
(the job_contract model for a built-in type, the JSON object itself for a custom one); the dict
returned becomes the job's `result`. Raising `PermanentFailure` fails the job at once (not
retried); any other exception is a retryable failure whose message becomes the job's error.

The built-in handlers live beside this module; handlers for custom types are plugged in with
`--handlers` (registry.py keeps both).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from worker_service.runner.context import JobContext

Handler = Callable[[JobContext], Awaitable[dict[str, Any]]]


class PermanentFailure(Exception):
    """Retrying cannot help (an invalid payload, a refused recipient): fail the job now."""
