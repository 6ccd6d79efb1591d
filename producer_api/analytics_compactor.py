"""The analytics compactor: folds the rows the analytics triggers append (migration 0013)
into one histogram per bucket of each window, type and timing measure (migration 0016), and
creations into hours, so /analytics reads a few hundred rows however many jobs ran.

One statement per pass (job_analytics_compact()), safe beside other replicas as the stats
compactor is; it runs as often as that one (STATS_COMPACT_INTERVAL_SECONDS).
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from job_contract.bounds import STATS_WINDOWS
from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_runtime.maintenance import MaintenanceSettings
from producer_api.queries import QUERIES

ZERO = timedelta(0)


def histogram_grains() -> dict[str, list[timedelta]]:
    """The compaction's parameters: each window's bucket is a grain of the histograms, kept
    as long as the window reaches back and one bucket of the next coarser grain more. The
    overlap costs a few rows and lets a downgrade (migration 0016's) take every stretch of
    time whole from the finest grain that reaches it."""
    reach: dict[timedelta, timedelta] = {}
    for shape in STATS_WINDOWS.values():
        reach[shape.bucket] = max(shape.bucket * shape.buckets, reach.get(shape.bucket, ZERO))
    grains = sorted(reach)
    coarser = [*grains[1:], ZERO]
    return {
        "grains": grains,
        "spans": [reach[grain] + next_up for grain, next_up in zip(grains, coarser, strict=True)],
    }


@dataclass(frozen=True)
class AnalyticsCompaction:
    """How many fewer rollup rows there are after a pass (negative when fresh rows became
    more histogram rows, one per grain, than they were)."""

    analytics_rows_removed: int
    error_rows_removed: int


class AnalyticsCompactor(DatabaseMaintenance[MaintenanceSettings, AnalyticsCompaction]):
    def __init__(self, engine: AsyncEngine, settings: MaintenanceSettings) -> None:
        super().__init__(settings)
        self._engine = engine

    async def run_once(self) -> AnalyticsCompaction:
        """Fold both rollups once; say how many rows that removed."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(QUERIES["job_analytics_compact"], histogram_grains())).one()
        return AnalyticsCompaction(
            analytics_rows_removed=row.analytics_rows_removed,
            error_rows_removed=row.error_rows_removed,
        )
