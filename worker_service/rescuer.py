"""The rescuer: jobs whose runner stopped renewing its lease go back to the queue.

Safe with several worker services: the statement itself claims rows with SKIP LOCKED.
"""

from pydantic import Field

from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_runtime.maintenance import MaintenanceSettings
from worker_service import metrics
from worker_service.store import WorkerStore


class RescuerSettings(MaintenanceSettings):
    """RESCUE_INTERVAL_SECONDS and RESCUE_BATCH_SIZE take their defaults from here."""

    # A lease that expired is a job nobody works on: look often, it costs one index probe.
    interval_seconds: float = Field(default=1, gt=0)
    batch_size: int = Field(default=500, ge=1)


class Rescuer(DatabaseMaintenance[RescuerSettings, int]):
    def __init__(self, store: WorkerStore, settings: RescuerSettings | None = None) -> None:
        super().__init__(settings or RescuerSettings())
        self._store = store

    async def run_once(self) -> int:
        """Rescue up to one batch of expired leases; return how many."""
        rescued = await self._store.rescue_expired(self.settings.batch_size)
        metrics.RESCUES.inc(rescued)
        return rescued

    def more_waiting(self, report: int) -> bool:
        return report >= self.settings.batch_size
