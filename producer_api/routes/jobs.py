"""/jobs: create, list, inspect, cancel, retry, bulk actions, artifacts."""

import hashlib
import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Header, Query, Response

from job_contract import JobDetail, JobPublic, JobStatus
from job_contract.artifacts import download_headers, served_content_type
from job_contract.bounds import (
    DEFAULT_PAGE_SIZE,
    MAX_JOBS_PER_REQUEST,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    MAX_PRIORITY,
    MAX_SEARCH_CHARS,
    MIN_PRIORITY,
)
from job_contract.producer_api import BulkResult, ErrorMessage, JobBatch, JobPage, SkippedJob
from job_contract.schedules import SCHEDULE_NAME_PATTERN
from job_contract.timestamps import UtcTimestamp
from job_contract.transitions import ALLOWED_FROM, JobAction, statuses_phrase
from producer_api.deps import StoreDep
from producer_api.job_intake import new_jobs
from producer_api.job_listing import JobFilter, SortKey, SortOrder
from producer_api.models import JOB_CREATE_EXAMPLES, BulkAction, JobBatchCreate, JobCreate
from producer_api.routes import params
from producer_api.routes.job_types import CatalogDep
from producer_api.store import NewJob

router = APIRouter(tags=["jobs"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "No job with that id"}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorMessage, "description": "The job's status does not allow it"}
}


def _fingerprint(job: NewJob) -> str:
    """Same request body, same fingerprint (after defaults are filled in)."""
    fields = {
        "type": job.type,
        "priority": job.priority,
        "payload": job.payload,
        "max_attempts": job.max_attempts,
        "scheduled_for": job.scheduled_for.isoformat() if job.scheduled_for else None,
        "concurrency_key": job.concurrency_key,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@router.post(
    "/jobs",
    status_code=201,
    response_model=JobPublic,
    responses={
        200: {"model": JobPublic, "description": "Replay of an earlier request with this key"},
        409: {"model": ErrorMessage, "description": "Idempotency-Key reused with another body"},
    },
    summary="Create a job",
)
async def create_job(
    job: Annotated[JobCreate, Body(openapi_examples=JOB_CREATE_EXAMPLES)],
    store: StoreDep,
    catalog: CatalogDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Send the same key to retry safely: the job is created once",
        ),
    ] = None,
) -> dict[str, Any]:
    (new_job,) = await new_jobs(catalog, [job], [("body",)])
    fingerprint = _fingerprint(new_job) if idempotency_key else None
    row, created = await store.create_job(new_job, idempotency_key, fingerprint)
    if not created:
        response.status_code = 200
    return row


@router.post(
    "/jobs/batch",
    status_code=201,
    response_model=JobBatch,
    responses={
        413: {"model": ErrorMessage, "description": f"More than {MAX_JOBS_PER_REQUEST} jobs"}
    },
    summary=f"Create up to {MAX_JOBS_PER_REQUEST:,} jobs at once, all or nothing",
)
async def create_jobs(
    batch: JobBatchCreate, store: StoreDep, catalog: CatalogDep
) -> dict[str, Any]:
    locations = [("body", "jobs", index) for index in range(len(batch.jobs))]
    return {"jobs": await store.create_jobs(await new_jobs(catalog, batch.jobs, locations))}


@router.get("/jobs", response_model=JobPage, summary="Find jobs")
async def list_jobs(
    store: StoreDep,
    catalog: CatalogDep,
    status: Annotated[list[str] | None, Query(description="Repeat or comma-separate")] = None,
    type: Annotated[list[str] | None, Query(description="Repeat or comma-separate")] = None,
    priority: Annotated[
        list[str] | None,
        Query(description=f"{MIN_PRIORITY}–{MAX_PRIORITY}; repeat or comma-separate"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_SEARCH_CHARS,
            description="An id prefix, or text anywhere in the payload",
        ),
    ] = None,
    created_after: Annotated[UtcTimestamp | None, Query(description="No zone means UTC")] = None,
    created_before: Annotated[UtcTimestamp | None, Query(description="No zone means UTC")] = None,
    schedule: Annotated[
        str | None,
        Query(pattern=SCHEDULE_NAME_PATTERN, description="Only the jobs this schedule made"),
    ] = None,
    sort: SortKey = "created_at",
    order: SortOrder = "desc",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """`total` is exact up to `EXACT_COUNT_LIMIT` matches (see the settings) and whenever
    only `status`/`type` filter; past that it is PostgreSQL's estimate and
    `total_is_estimate` is true."""
    where = JobFilter(
        statuses=params.enum_list("status", status, JobStatus),
        types=params.type_list(type),
        all_types=await catalog.names(),
        priorities=params.priority_list(priority),
        q=params.search_text(q),
        created_after=created_after,
        created_before=created_before,
        schedule=schedule,
    )
    page = await store.list_jobs(where, sort, order, limit, offset)
    return {
        "items": page.items,
        "total": page.total,
        "total_is_estimate": page.total_is_estimate,
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/jobs/{job_id}",
    response_model=JobDetail,
    responses=NOT_FOUND,
    summary="One job and its timeline",
)
async def get_job(job_id: UUID, store: StoreDep) -> dict[str, Any]:
    return await store.get_job(job_id)


@router.delete(
    "/jobs/{job_id}",
    response_model=JobPublic,
    responses={**NOT_FOUND, **CONFLICT},
    summary=f"Cancel a {statuses_phrase(ALLOWED_FROM[JobAction.CANCEL])} job",
)
async def cancel_job(job_id: UUID, store: StoreDep) -> dict[str, Any]:
    return await store.cancel_job(job_id)


@router.post(
    "/jobs/{job_id}/retry",
    response_model=JobPublic,
    responses={**NOT_FOUND, **CONFLICT},
    summary=f"Run a {statuses_phrase(ALLOWED_FROM[JobAction.RETRY])} job again, attempts from zero",
)
async def retry_job(job_id: UUID, store: StoreDep) -> dict[str, Any]:
    return await store.retry_job(job_id)


@router.post(
    "/jobs/bulk",
    response_model=BulkResult,
    summary="Cancel, retry or delete many jobs",
    description="Each job is acted on if its status allows; the others are listed with the"
    f" reason. `delete` removes only {statuses_phrase(ALLOWED_FROM[JobAction.DELETE])} jobs.",
)
async def bulk_action(action: BulkAction, store: StoreDep) -> BulkResult:
    outcome = await store.bulk(action.action, action.ids)
    return BulkResult(
        succeeded=outcome.succeeded,
        skipped=[SkippedJob(id=job_id, reason=reason) for job_id, reason in outcome.skipped],
    )


@router.get(
    "/jobs/{job_id}/artifact",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/pdf": {}}, "description": "The file"},
        **NOT_FOUND,
    },
    summary="The file a report job produced",
)
async def get_artifact(job_id: UUID, store: StoreDep) -> Response:
    artifact = await store.get_artifact(job_id)
    return Response(
        content=artifact.content,
        media_type=served_content_type(artifact.content_type),
        headers=download_headers(artifact.filename),
    )
