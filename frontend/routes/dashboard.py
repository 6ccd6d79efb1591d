"""/: stat cards, the throughput chart, recent jobs and runners, refreshed while visible."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from frontend.deps import ApiDep, WorkerServiceDep
from frontend.models import Stats
from frontend.templating import render

router = APIRouter()

WINDOWS = {"1h": "last hour", "24h": "last 24 hours", "7d": "last 7 days"}
RECENT_JOBS = 8


def chart_series(stats: Stats) -> dict[str, list[int]]:
    """The chart's data as uPlot takes it: x in Unix seconds, then one list per line."""
    buckets = stats.throughput
    return {
        "t": [int(bucket.bucket.timestamp()) for bucket in buckets],
        "completed": [bucket.completed for bucket in buckets],
        "failed": [bucket.failed for bucket in buckets],
    }


@router.get("/", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    api: ApiDep,
    worker_service: WorkerServiceDep,
    window: str = "1h",
) -> HTMLResponse:
    window = window if window in WINDOWS else "1h"
    stats, recent, runners = await asyncio.gather(
        api.stats(window),
        api.list_jobs([("limit", RECENT_JOBS)]),
        worker_service.runners(),
    )
    context: dict[str, Any] = {
        "window": window,
        "windows": WINDOWS,
        "stats": stats,
        "series": chart_series(stats),
        "completed": sum(bucket.completed for bucket in stats.throughput),
        "failed": sum(bucket.failed for bucket in stats.throughput),
        "recent": recent.items,
        "runners": runners,
    }
    return render(request, "dashboard.html", context)
