"""/healthz and /metrics."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from job_contract.producer_api import Health
from producer_api.deps import StoreDep

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable"}},
)
async def healthz(store: StoreDep, response: Response) -> Health:
    try:
        await store.ping()
    except Exception:  # any failure to reach the database means "not healthy", never a 500
        response.status_code = 503
        return Health(status="unavailable", database="unreachable")
    return Health(status="ok", database="ok")


@router.get("/metrics", response_class=Response, summary="Prometheus metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
