"""GET /analytics from the rollups migration 0013 keeps: never a scan of jobs or events.

The database reads the window's histograms (tens of thousands of rows at most) and answers
a row per bucket and type, and one per type for the whole window; this module shapes them,
zero-filling the buckets where a type did nothing.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from job_contract.analytics import MAX_ERROR_GROUPS, WEEKDAYS
from job_contract.bounds import STATS_WINDOWS, StatsWindowName
from producer_api.queries import QUERIES

_NOTHING: dict[str, Any] = {
    "completed": 0,
    "failed": 0,
    "run_p50": None,
    "run_p95": None,
    "run_p99": None,
    "wait_p50": None,
    "wait_p95": None,
}


def _outcomes(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    finished = row["completed"] + row["failed"]
    return {
        "completed": row["completed"],
        "failed": row["failed"],
        "success_rate": row["completed"] / finished if finished else None,
        "run_seconds": {p: row[f"run_{p}"] for p in ("p50", "p95", "p99")},
        "wait_seconds": {p: row[f"wait_{p}"] for p in ("p50", "p95")},
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
            outcomes = (await conn.execute(QUERIES["analytics_outcomes"], params)).mappings()
            rows = list(outcomes)
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
            "types": _per_type(rows, buckets, types, window_minutes),
            "error_groups": error_groups,
            "by_hour": _heatmap(by_hour),
        }


def _per_type(
    rows: Iterable[RowMapping],
    buckets: list[datetime],
    asked: Sequence[str],
    window_minutes: float,
) -> list[dict[str, Any]]:
    """Each type asked for (or seen in the window), with its zero-filled series."""
    by_type: dict[str, dict[datetime | None, RowMapping]] = {name: {} for name in asked}
    for row in rows:
        by_type.setdefault(row["type"], {})[row["bucket"]] = row
    answer = []
    for job_type in sorted(by_type):
        seen = by_type[job_type]
        total = seen.get(None, _NOTHING)
        answer.append(
            {
                "type": job_type,
                **_outcomes(total),
                "throughput_per_minute": (total["completed"] + total["failed"]) / window_minutes,
                "series": [
                    {"bucket": bucket, **_outcomes(seen.get(bucket, _NOTHING))}
                    for bucket in buckets
                ],
            }
        )
    return answer


def _heatmap(rows: Iterable[Any]) -> list[dict[str, Any]]:
    cells = [[0] * 24 for _ in WEEKDAYS]
    for weekday, hour, jobs in rows:
        cells[weekday - 1][hour] += jobs
    return [{"weekday": name, "hours": hours} for name, hours in zip(WEEKDAYS, cells, strict=True)]
