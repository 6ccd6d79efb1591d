"""/exports/jobs.ndjson: finished jobs and their timelines, one JSON object a line, streamed."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from job_contract.timestamps import LATEST_DAY
from producer_api.job_export import export_select, stream_lines
from producer_api.routes.job_filter import JobFilterDep

router = APIRouter(tags=["exports"])

NDJSON = "application/x-ndjson"


@router.get(
    "/exports/jobs.ndjson",
    response_class=StreamingResponse,
    responses={200: {"content": {NDJSON: {}}, "description": "One finished job per line"}},
    summary="Export finished jobs as NDJSON",
)
async def export_jobs(
    request: Request,
    where: JobFilterDep,
    date: Annotated[
        date | None, Query(le=LATEST_DAY, description="finished that day (UTC), YYYY-MM-DD")
    ] = None,
) -> StreamingResponse:
    """Every finished job (completed, failed, cancelled) that the `GET /jobs` filters match,
    and with `date` only those that finished that day; each line is the job as
    `GET /jobs/{id}` shows it, events included. Streamed: memory stays flat however many."""
    name = f"jobs-{date.isoformat()}.ndjson" if date else "jobs.ndjson"
    return StreamingResponse(
        stream_lines(request.app.state.engine, export_select(where, date)),
        media_type=NDJSON,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
