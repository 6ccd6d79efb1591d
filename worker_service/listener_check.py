"""ListenerCheck: the LISTEN connection is asked a question every few seconds, and replaced
when it does not answer. A half-open connection (its peer gone without a word) is otherwise
noticed only by TCP keepalives, and meanwhile every long-poll sleeps through new jobs."""

from pydantic import Field

from jobdeck_runtime.maintenance import MaintenanceService, MaintenanceSettings
from worker_service.wakeups import JobsPendingListener


class ListenerCheckSettings(MaintenanceSettings):
    interval_seconds: float = Field(default=5, gt=0)
    # A round trip on an idle connection takes a millisecond; a busy server's, well under this.
    timeout_seconds: float = Field(default=5, gt=0)


class ListenerCheck(MaintenanceService[ListenerCheckSettings, bool]):
    def __init__(
        self, listener: JobsPendingListener, settings: ListenerCheckSettings | None = None
    ) -> None:
        super().__init__(settings or ListenerCheckSettings())
        self._listener = listener

    async def run_once(self) -> bool:
        """Whether the LISTEN connection answered (else it is being replaced)."""
        return await self._listener.check(self.settings.timeout_seconds)
