"""/jobs: the searchable list with bulk actions, one job's page, its actions and its file."""

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import QueryParams

from frontend.bulk_actions import BULK_WORDING, BulkPanel
from frontend.client import Conflict, NotFound, ProducerApi
from frontend.deps import ApiDep
from frontend.downloads import filename_of, safe_filename
from frontend.job_query import PAGE_SIZES, PRIORITIES, JobQuery
from frontend.templating import is_htmx, render
from job_contract import JobAction, JobPublic, JobStatus
from job_contract.artifacts import download_headers
from job_contract.bounds import MAX_SEARCH_CHARS

router = APIRouter()


async def _type_names(api: ProducerApi) -> list[str]:
    return [job_type.name for job_type in await api.job_types()]


def parse_job_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise NotFound(f"job {raw} not found") from None


async def _list_page(
    request: Request,
    api: ProducerApi,
    query: JobQuery,
    type_names: list[str],
    bulk: BulkPanel | None = None,
) -> HTMLResponse:
    jobs = await api.list_jobs(query.api_params())
    # The schedule box's suggestions, only where the filters are drawn (not for #results).
    drawn = request.headers.get("HX-Target") != "results"
    schedule_names = [schedule.name for schedule in await api.schedules()] if drawn else []
    context: dict[str, Any] = {
        "query": query,
        "jobs": jobs,
        "bulk": bulk,
        "bulk_actions": BULK_WORDING,
        "selected": {str(job_id) for job_id in bulk.ids} if bulk and not bulk.outcome else set(),
        "statuses": list(JobStatus),
        "types": type_names,
        "priorities": PRIORITIES,
        "page_sizes": PAGE_SIZES,
        "max_search_chars": MAX_SEARCH_CHARS,
        "schedule_names": schedule_names,
    }
    # The list's canonical URL, so that what htmx pushes is as tidy as a typed link.
    headers = {"HX-Push-Url": query.url()} if is_htmx(request) and request.method == "GET" else None
    return render(request, "jobs/list.html", context, headers=headers)


@router.get("/jobs", response_class=HTMLResponse)
async def job_list(request: Request, api: ApiDep) -> HTMLResponse:
    names = await _type_names(api)
    return await _list_page(request, api, JobQuery.from_params(request.query_params, names), names)


@router.post("/jobs/bulk", response_class=HTMLResponse)
async def bulk_action(request: Request, api: ApiDep) -> HTMLResponse:
    """First post: ask to confirm. Second post (confirmed=yes): act, then show the outcome.

    Either way the answer is the list the form came from, so it works without JavaScript.
    With scope=matching ("select all N matching") it acts on every job the list's filters
    match, and the question gives the API's dry-run count.
    """
    form = await request.form()
    list_query = QueryParams(str(form.get("list_query", "")))
    names = await _type_names(api)
    query = JobQuery.from_params(list_query, names)
    action = _action(str(form.get("action", "")))
    ids = list(dict.fromkeys(_uuids(form.getlist("ids"))))
    if action is None:
        return await _list_page(
            request, api, query, names, BulkPanel(None, problem="Unknown action.")
        )
    if form.get("scope") == "matching":
        # Every job the list's filters match: the count first (a dry run), then the run.
        confirmed = form.get("confirmed") == "yes"
        counts = await api.bulk_matching(action, query.api_filter(), dry_run=not confirmed)
        panel = BulkPanel(action, matching=counts, acted=confirmed)
        return await _list_page(request, api, query, names, panel)
    if not ids:
        problem = "Select at least one job first."
        return await _list_page(request, api, query, names, BulkPanel(action, problem=problem))
    if form.get("confirmed") != "yes":
        return await _list_page(request, api, query, names, BulkPanel(action, ids))
    outcome = await api.bulk(action, ids)
    return await _list_page(request, api, query, names, BulkPanel(action, ids, outcome))


def _action(value: str) -> JobAction | None:
    try:
        return JobAction(value)
    except ValueError:
        return None


def _uuids(values: list[Any]) -> list[UUID]:
    parsed = []
    for value in values:
        try:
            parsed.append(UUID(str(value)))
        except ValueError:
            continue  # a tampered checkbox value: nothing to act on
    return parsed


async def _job_page(
    request: Request, api: ProducerApi, job_id: UUID, notice: str | None = None, status: int = 200
) -> HTMLResponse:
    job = await api.get_job(job_id)
    # Only a job with a callback has deliveries to show.
    deliveries = await api.deliveries(job_id) if job.callback_url else []
    context = {"job": job, "deliveries": deliveries, "notice": notice}
    return render(request, "jobs/detail.html", context, status_code=status)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
async def job_detail(request: Request, job_id: str, api: ApiDep) -> HTMLResponse:
    return await _job_page(request, api, parse_job_id(job_id))


async def _act(
    request: Request,
    api: ProducerApi,
    raw_id: str,
    action: Callable[[UUID], Awaitable[JobPublic | None]],
) -> Response:
    job_id = parse_job_id(raw_id)
    try:
        await action(job_id)
    except Conflict as refusal:
        # The job moved on since the page was drawn: show where it is now, and why.
        return await _job_page(request, api, job_id, notice=str(refusal), status=409)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(request: Request, job_id: str, api: ApiDep) -> Response:
    return await _act(request, api, job_id, api.cancel_job)


@router.post("/jobs/{job_id}/retry")
async def retry_job(request: Request, job_id: str, api: ApiDep) -> Response:
    return await _act(request, api, job_id, api.retry_job)


@router.post("/jobs/{job_id}/deliveries")
async def redeliver(request: Request, job_id: str, api: ApiDep) -> Response:
    """The job page's "Send again": its outcome, to its callback_url, as a new message."""
    return await _act(request, api, job_id, api.redeliver)


@router.get("/jobs/{job_id}/artifact")
async def job_artifact(job_id: str, api: ApiDep) -> Response:
    parsed_id = parse_job_id(job_id)
    artifact = await api.artifact(parsed_id)
    filename = safe_filename(filename_of(artifact.content_disposition), fallback=str(parsed_id))
    return Response(
        artifact.content,
        media_type=artifact.content_type,
        headers=download_headers(filename),
    )
