"""/stats: counts by status and type, and a completed/failed series for a window."""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from job_contract.bounds import DEFAULT_STATS_WINDOW, STATS_WINDOWS, StatsWindowName
from job_contract.producer_api import Stats
from producer_api.deps import StoreDep

router = APIRouter(tags=["stats"])


def _duration(span: timedelta) -> str:
    """ "1 minute", "6 hours": how a bucket's width reads."""
    for unit, seconds in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        count, rest = divmod(int(span.total_seconds()), seconds)
        if count and not rest:
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{span.total_seconds():g} seconds"


_BUCKETS = ", ".join(
    f"{name} → {window.buckets} × {_duration(window.bucket)}"
    for name, window in STATS_WINDOWS.items()
)


@router.get(
    "/stats",
    response_model=Stats,
    summary="Counts and throughput",
    description=f"Buckets: {_BUCKETS}; the last one is the bucket that holds now. Counts come"
    " from rollups kept by triggers, not a table scan.",
)
async def stats(store: StoreDep, window: StatsWindowName = DEFAULT_STATS_WINDOW) -> dict[str, Any]:
    counts = await store.counts()
    return {
        "by_status": counts.by_status,
        "by_type": counts.by_type,
        "total": counts.total,
        "throughput": await store.throughput(window),
    }
