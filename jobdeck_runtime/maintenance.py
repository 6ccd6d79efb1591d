"""Background work in one shape, the rescuer's and every later service's.

A maintenance service is a small class with validated settings. `run_once()` does one
bounded batch (in its own transaction, safe beside other replicas) and returns what it did;
tests call it directly and never wait. `run_forever()` repeats it every `interval_seconds`,
measured from the start of each pass, and at once while a pass reports more waiting.
"""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger("jobdeck.maintenance")


class MaintenanceSettings(BaseModel):
    """What every service has; each adds its own, with defaults and bounds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interval_seconds: float = Field(default=60, gt=0)


Settings = TypeVar("Settings", bound=MaintenanceSettings)
Report = TypeVar("Report")


class MaintenanceService(ABC, Generic[Settings, Report]):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    async def run_once(self) -> Report:
        """Do one bounded batch of work and say what was done."""

    def more_waiting(self, report: Report) -> bool:
        """True when the pass stopped at its bound with work left: go again without pausing."""
        return False

    async def pause(self, seconds: float) -> None:
        """Between passes; a service that can be told of new work ends it early."""
        await asyncio.sleep(seconds)

    def describe_failure(self, error: Exception) -> str | None:
        """A one-line warning for a failure that is expected to pass (the database
        restarting, say); None logs the traceback as a bug."""
        return None

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        name = type(self).__name__
        while True:
            started = loop.time()
            try:
                report = await self.run_once()
            except Exception as error:  # the loop must outlive any one pass; the next retries
                reason = self.describe_failure(error)
                if reason is None:
                    logger.exception("%s: pass failed", name)
                else:
                    logger.warning("%s: pass failed (%s)", name, reason)
            else:
                if self.more_waiting(report):
                    continue
            elapsed = loop.time() - started
            await self.pause(max(0.0, self.settings.interval_seconds - elapsed))


@contextlib.asynccontextmanager
async def running(services: Sequence[MaintenanceService[Any, Any]]) -> AsyncIterator[None]:
    """Run each service's `run_forever()` for the life of the block (an app's lifespan)."""
    tasks = [asyncio.create_task(service.run_forever()) for service in services]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
