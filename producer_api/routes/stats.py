"""/stats: counts by status and type, and a completed/failed series for a window."""

from typing import Any, Literal

from fastapi import APIRouter

from producer_api.deps import StoreDep
from producer_api.models import Stats

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=Stats, summary="Counts and throughput")
async def stats(store: StoreDep, window: Literal["1h", "24h", "7d"] = "1h") -> dict[str, Any]:
    """Buckets: 1h → 60 × 1 minute, 24h → 24 × 1 hour, 7d → 28 × 6 hours; the last one is the
    bucket that holds now. Counts come from rollups kept by triggers, not a table scan."""
    counts = await store.counts()
    return {
        "by_status": counts.by_status,
        "by_type": counts.by_type,
        "total": counts.total,
        "throughput": await store.throughput(window),
    }
