"""GET /analytics from the rollups of migrations 0013 and 0016: never a scan of jobs or events.

The database answers one histogram per bucket, type and timing measure (a few hundred rows
whatever the window and however many jobs ran); this module adds them up per bucket and over
the window, ranks them for the percentiles, and shapes the answer, zero-filling the buckets
where a type did nothing. Ranking here rather than in SQL is what keeps a 7d request cheap:
the database no longer sorts tens of thousands of bin rows twice.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from job_contract.analytics import MAX_ERROR_GROUPS, WEEKDAYS
from job_contract.bounds import STATS_WINDOWS, StatsWindowName
from producer_api.histograms import Histogram
from producer_api.queries import QUERIES

RUN_PERCENTS = (50, 95, 99)
WAIT_PERCENTS = (50, 95)


@dataclass
class _Tally:
    """Outcomes and timings of one type, in one bucket or over the whole window."""

    completed: int = 0
    failed: int = 0
    run: Histogram = field(default_factory=Histogram)
    wait: Histogram = field(default_factory=Histogram)

    def add(self, measure: str, untimed: int, jobs: Sequence[int]) -> None:
        if measure == "waited":
            self.wait.add(jobs)
            return
        # Jobs with no claim time (imported) count as outcomes but have no run time.
        if measure == "completed":
            self.completed += untimed + sum(jobs)
        else:
            self.failed += untimed + sum(jobs)
        self.run.add(jobs)


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
            rows = (await conn.execute(QUERIES["analytics_histograms"], params)).mappings().all()
            last_bin = max((len(row["jobs"]) for row in rows), default=0) - 1
            seconds: list[float] = []
            if last_bin >= 0:
                seconds = (
                    await conn.execute(QUERIES["analytics_bin_seconds"], {"last": last_bin})
                ).scalar_one()
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
            "types": _per_type(rows, buckets, types, window_minutes, seconds),
            "error_groups": error_groups,
            "by_hour": _heatmap(by_hour),
        }


def _per_type(
    rows: Iterable[RowMapping],
    buckets: list[datetime],
    asked: Sequence[str],
    window_minutes: float,
    seconds: Sequence[float],
) -> list[dict[str, Any]]:
    """Each type asked for (or seen in the window), with its zero-filled series."""
    windows: dict[str, _Tally] = {name: _Tally() for name in asked}
    series: dict[tuple[str, datetime], _Tally] = {}
    for row in rows:
        job_type, measure, untimed, jobs = row["type"], row["measure"], row["untimed"], row["jobs"]
        windows.setdefault(job_type, _Tally()).add(measure, untimed, jobs)
        series.setdefault((job_type, row["bucket"]), _Tally()).add(measure, untimed, jobs)
    nothing = _Tally()
    answer = []
    for job_type in sorted(windows):
        total = windows[job_type]
        answer.append(
            {
                "type": job_type,
                **_outcomes(total, seconds),
                "throughput_per_minute": (total.completed + total.failed) / window_minutes,
                "series": [
                    {
                        "bucket": bucket,
                        **_outcomes(series.get((job_type, bucket), nothing), seconds),
                    }
                    for bucket in buckets
                ],
            }
        )
    return answer


def _outcomes(tally: _Tally, seconds: Sequence[float]) -> dict[str, Any]:
    finished = tally.completed + tally.failed

    def timed(histogram: Histogram, percents: Sequence[int]) -> dict[str, float | None]:
        bins = histogram.nearest_rank_bins(percents)
        return {
            f"p{percent}": None if bin_ is None else seconds[bin_]
            for percent, bin_ in zip(percents, bins, strict=True)
        }

    return {
        "completed": tally.completed,
        "failed": tally.failed,
        "success_rate": tally.completed / finished if finished else None,
        "run_seconds": timed(tally.run, RUN_PERCENTS),
        "wait_seconds": timed(tally.wait, WAIT_PERCENTS),
    }


def _heatmap(rows: Iterable[Any]) -> list[dict[str, Any]]:
    cells = [[0] * 24 for _ in WEEKDAYS]
    for weekday, hour, jobs in rows:
        cells[weekday - 1][hour] += jobs
    return [{"weekday": name, "hours": hours} for name, hours in zip(WEEKDAYS, cells, strict=True)]
