"""The stale-runner sweeper: runners not heard from in a day leave the registry.

Its interval is a constant default rather than a setting: nothing waits on it, and a runner
it has not reached yet is only listed a little longer.
"""

from pydantic import Field

from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_runtime.maintenance import MaintenanceSettings
from worker_service.store import WorkerStore


class StaleRunnerSweeperSettings(MaintenanceSettings):
    interval_seconds: float = Field(default=3600, gt=0)
    batch_size: int = Field(default=1000, ge=1)


class StaleRunnerSweeper(DatabaseMaintenance[StaleRunnerSweeperSettings, int]):
    def __init__(
        self, store: WorkerStore, settings: StaleRunnerSweeperSettings | None = None
    ) -> None:
        super().__init__(settings or StaleRunnerSweeperSettings())
        self._store = store

    async def run_once(self) -> int:
        """Forget up to one batch of runners silent for longer than a day; return how many."""
        return await self._store.forget_stale_runners(self.settings.batch_size)

    def more_waiting(self, report: int) -> bool:
        return report >= self.settings.batch_size
