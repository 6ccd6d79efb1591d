"""What the analytics page draws from GET /analytics: chart data as uPlot takes it, the
heatmap's shading, and the panel a group action shows.

Charts are a progressive layer: the same numbers are in the page's tables.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from job_contract import JobAction
from job_contract.analytics import (
    Analytics,
    AnalyticsBucket,
    RunTimes,
    TypeAnalytics,
    WaitTimes,
)
from job_contract.producer_api import BulkCount

# The actions a whole error group offers (cancel fits pending jobs, which no group holds).
GROUP_ACTIONS = (JobAction.RETRY, JobAction.DELETE)
# The heatmap's shades: 0 is an empty hour, HEAT_LEVELS the busiest.
HEAT_LEVELS = 5

Point = Callable[[AnalyticsBucket], float | None]


def _finished(point: AnalyticsBucket) -> float:
    return point.completed + point.failed


def _line(entry: TypeAnalytics, label: str, value: Point, dashed: bool = False) -> dict[str, Any]:
    return {"label": label, "values": [value(point) for point in entry.series], "dashed": dashed}


def _percentile_lines(
    types: list[TypeAnalytics], timings: Callable[[AnalyticsBucket], RunTimes | WaitTimes]
) -> list[dict[str, Any]]:
    """p50 (dashed) and p95 of each type."""

    def of(percentile: str) -> Point:
        return lambda point: getattr(timings(point), percentile)

    return [
        _line(entry, f"{entry.type} {p}", of(p), dashed=p == "p50")
        for entry in types
        for p in ("p50", "p95")
    ]


def charts(analytics: Analytics) -> dict[str, dict[str, Any]]:
    """One chart per figure, a line per type (timings: p50 dashed and p95 solid)."""
    types = analytics.types
    t = [int(point.bucket.timestamp()) for point in types[0].series] if types else []

    def chart(unit: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        return {"t": t, "unit": unit, "lines": lines}

    return {
        "throughput": chart("jobs", [_line(e, e.type, _finished) for e in types]),
        "success": chart(
            "percent", [_line(e, e.type, lambda point: point.success_rate) for e in types]
        ),
        "run": chart("seconds", _percentile_lines(types, lambda point: point.run_seconds)),
        "wait": chart("seconds", _percentile_lines(types, lambda point: point.wait_seconds)),
    }


def heat_level(jobs: int, busiest: int) -> int:
    """0 for an empty hour, else 1..HEAT_LEVELS in proportion to the busiest hour."""
    if jobs <= 0 or busiest <= 0:
        return 0
    return max(1, math.ceil(HEAT_LEVELS * jobs / busiest))


@dataclass(frozen=True)
class GroupPanel:
    """A group action's question (with the dry run's count), or its outcome."""

    group: str
    action: JobAction
    preview: BulkCount | None = None
    outcome: BulkCount | None = None
