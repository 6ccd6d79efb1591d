"""/: stat cards, the throughput chart, recent jobs and runners, refreshed while visible."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from frontend.deps import ApiDep, WorkerServiceDep
from frontend.templating import render
from job_contract.bounds import DEFAULT_STATS_WINDOW, STATS_WINDOWS, StatsWindowName
from job_contract.producer_api import Stats

router = APIRouter()

RECENT_JOBS = 8
RECENT_ALERTS = 5


def chosen_window(raw: str) -> StatsWindowName:
    """The window asked for; an unknown one (an old or edited link) reads as the default."""
    return next((name for name in STATS_WINDOWS if name == raw), DEFAULT_STATS_WINDOW)


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
    window: str = DEFAULT_STATS_WINDOW,
) -> HTMLResponse:
    chosen = chosen_window(window)
    stats, recent, runners, alerts = await asyncio.gather(
        api.stats(chosen),
        api.list_jobs([("limit", RECENT_JOBS)]),
        worker_service.runners(),
        api.alerts(RECENT_ALERTS),
    )
    context: dict[str, Any] = {
        "window": chosen,
        "windows": STATS_WINDOWS,
        "stats": stats,
        "series": chart_series(stats),
        "completed": sum(bucket.completed for bucket in stats.throughput),
        "failed": sum(bucket.failed for bucket in stats.throughput),
        "recent": recent.items,
        "runners": runners,
        "alerts": alerts,
    }
    return render(request, "dashboard.html", context)
