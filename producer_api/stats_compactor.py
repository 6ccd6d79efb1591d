"""The stats compactor: folds the rows the count and throughput triggers append, so /stats
keeps summing a few rows however many jobs come and go.

One statement per pass (job_stats_compact()), safe beside other replicas: rows another
compaction is folding are locked, and rows written meanwhile wait for the next pass.
"""

from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_runtime.maintenance import MaintenanceSettings
from producer_api.store import JobStore, StatsCompaction


class StatsCompactorSettings(MaintenanceSettings):
    """The app sets interval_seconds from STATS_COMPACT_INTERVAL_SECONDS (settings.py): between
    two folds, /stats sums every row written since the last."""


class StatsCompactor(DatabaseMaintenance[StatsCompactorSettings, StatsCompaction]):
    def __init__(self, store: JobStore, settings: StatsCompactorSettings) -> None:
        super().__init__(settings)
        self._store = store

    async def run_once(self) -> StatsCompaction:
        """Fold both rollups once; say how many rows that removed."""
        return await self._store.compact_stats()
