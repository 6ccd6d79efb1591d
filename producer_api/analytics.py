"""GET /analytics from the rollups migration 0013 keeps: never a scan of jobs or events.

The database sums the histogram rows of the window per bucket (a few thousand rows for 7
days); percentiles are read here from those histograms, nearest rank: the p-th percentile of
n timings is the smallest bin holding at least ceil(p × n) of them.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from job_contract.analytics import MAX_ERROR_GROUPS, WEEKDAYS
from job_contract.bounds import STATS_WINDOWS, StatsWindowName
from producer_api.queries import QUERIES

# A histogram: seconds (a bin's middle) → how many timings fell in that bin.
Histogram = dict[float, int]


def percentile(histogram: Histogram, p: float) -> float | None:
    """The nearest-rank p-th percentile (0 < p ≤ 1); None without timings."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = math.ceil(p * total)
    seen = 0
    for seconds in sorted(histogram):
        seen += histogram[seconds]
        if seen >= rank:
            return seconds
    raise AssertionError("unreachable: the ranks end at the total")


@dataclass
class _Tally:
    """One type's outcomes and timings, in a bucket or over the window."""

    completed: int = 0
    failed: int = 0
    run: Histogram = field(default_factory=lambda: defaultdict(int))
    wait: Histogram = field(default_factory=lambda: defaultdict(int))

    def add(self, measure: str, seconds: float | None, jobs: int) -> None:
        if measure == "waited":
            if seconds is not None:
                self.wait[seconds] += jobs
            return
        if measure == "completed":
            self.completed += jobs
        else:
            self.failed += jobs
        if seconds is not None:
            self.run[seconds] += jobs

    def merge(self, other: "_Tally") -> None:
        self.completed += other.completed
        self.failed += other.failed
        for mine, theirs in ((self.run, other.run), (self.wait, other.wait)):
            for seconds, jobs in theirs.items():
                mine[seconds] += jobs

    def outcomes(self) -> dict[str, Any]:
        finished = self.completed + self.failed
        return {
            "completed": self.completed,
            "failed": self.failed,
            "success_rate": self.completed / finished if finished else None,
            "run_seconds": {f"p{p}": percentile(self.run, p / 100) for p in (50, 95, 99)},
            "wait_seconds": {f"p{p}": percentile(self.wait, p / 100) for p in (50, 95)},
        }


class AnalyticsReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def analytics(self, window: StatsWindowName, types: Sequence[str]) -> dict[str, Any]:
        shape = STATS_WINDOWS[window]
        only = list(types) or None
        async with self._engine.connect() as conn:
            bounds = {"step": shape.bucket, "buckets": shape.buckets}
            since = (await conn.execute(QUERIES["analytics_window_start"], bounds)).scalar_one()
            params = {"step": shape.bucket, "since": since, "types": only}
            histograms = (await conn.execute(QUERIES["analytics_histograms"], params)).all()
            by_hour = (await conn.execute(QUERIES["analytics_created_by_hour"], params)).all()
            groups = await conn.execute(
                QUERIES["analytics_error_groups"], {**params, "limit": MAX_ERROR_GROUPS}
            )
            error_groups = [dict(row) for row in groups.mappings()]
        buckets = [since + shape.bucket * index for index in range(shape.buckets)]
        window_minutes = shape.bucket.total_seconds() * shape.buckets / 60
        return {
            "window": window,
            "bucket_seconds": int(shape.bucket.total_seconds()),
            "types": _per_type(histograms, buckets, types, window_minutes),
            "error_groups": error_groups,
            "by_hour": _heatmap(by_hour),
        }


def _per_type(
    rows: Iterable[Any], buckets: list[datetime], asked: Sequence[str], window_minutes: float
) -> list[dict[str, Any]]:
    """Each type asked for (or seen in the window), with its zero-filled series."""
    tallies: dict[str, dict[datetime, _Tally]] = {name: {} for name in asked}
    for bucket, job_type, measure, seconds, jobs in rows:
        tallies.setdefault(job_type, {}).setdefault(bucket, _Tally()).add(measure, seconds, jobs)
    answer = []
    for job_type in sorted(tallies):
        series = [tallies[job_type].get(bucket, _Tally()) for bucket in buckets]
        total = _Tally()
        for tally in series:
            total.merge(tally)
        answer.append(
            {
                "type": job_type,
                **total.outcomes(),
                "throughput_per_minute": (total.completed + total.failed) / window_minutes,
                "series": [
                    {"bucket": bucket, **tally.outcomes()}
                    for bucket, tally in zip(buckets, series, strict=True)
                ],
            }
        )
    return answer


def _heatmap(rows: Iterable[Any]) -> list[dict[str, Any]]:
    cells = [[0] * 24 for _ in WEEKDAYS]
    for weekday, hour, jobs in rows:
        cells[weekday - 1][hour] += jobs
    return [{"weekday": name, "hours": hours} for name, hours in zip(WEEKDAYS, cells, strict=True)]
