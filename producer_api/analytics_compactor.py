"""The analytics compactor: folds the rows the analytics triggers append (migration 0013),
and old minutes into hours and 6 hours, so /analytics sums a bounded number of rows.

One statement per pass (job_analytics_compact()), safe beside other replicas as the stats
compactor is; it runs as often as that one (STATS_COMPACT_INTERVAL_SECONDS).
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_runtime.maintenance import MaintenanceSettings
from producer_api.queries import QUERIES


@dataclass(frozen=True)
class AnalyticsCompaction:
    """How many rollup rows one pass folded away."""

    analytics_rows_removed: int
    error_rows_removed: int


class AnalyticsCompactor(DatabaseMaintenance[MaintenanceSettings, AnalyticsCompaction]):
    def __init__(self, engine: AsyncEngine, settings: MaintenanceSettings) -> None:
        super().__init__(settings)
        self._engine = engine

    async def run_once(self) -> AnalyticsCompaction:
        """Fold both rollups once; say how many rows that removed."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(QUERIES["job_analytics_compact"])).one()
        return AnalyticsCompaction(
            analytics_rows_removed=row.analytics_rows_removed,
            error_rows_removed=row.error_rows_removed,
        )
