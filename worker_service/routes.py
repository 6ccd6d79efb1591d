"""The worker service's HTTP routes: claim, report outcomes, heartbeats, artifacts, stats."""

import asyncio
import functools
from uuid import uuid4

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from job_contract.artifacts import (
    ACCEPTED_MEDIA_TYPES,
    CONTENT_TYPES,
    FORMAT_OF_MEDIA_TYPE,
    media_type,
)
from job_contract.payloads import DateRange
from job_contract.results import MAX_RESULT_BYTES_KEY
from job_contract.worker_api import (
    ArtifactOptions,
    CompleteBatchAnswer,
    CompleteBatchBody,
    CompleteBody,
    FailBody,
    HeartbeatAnswer,
    HeartbeatBody,
    ProcessOptions,
    RejectedResult,
    RunnerListOptions,
    RunnerPublic,
    WorkerId,
)
from jobdeck_db.availability import is_connection_problem
from jobdeck_runtime import swagger_ui
from worker_service import metrics
from worker_service.claims import ClaimBatcher
from worker_service.json_responses import error_response, json_response
from worker_service.parsing import parse, parse_job_id, parse_report_type, parse_types
from worker_service.records import Completion, FinishedAttempt
from worker_service.settings import Settings
from worker_service.store import WorkerStore
from worker_service.wakeups import JobsPendingListener


def _store(request: Request) -> WorkerStore:
    store: WorkerStore = request.app.state.store
    return store


def _listener(request: Request) -> JobsPendingListener:
    listener: JobsPendingListener = request.app.state.listener
    return listener


# A runner asks with the same query string on every claim: what it says is read once (a
# query string that is refused raises, and is not remembered).
@functools.lru_cache(maxsize=1_000)
def _claim_query(query_string: bytes) -> tuple[ProcessOptions, list[str] | None]:
    """The claim's options and its job types, validated (422 naming the parameter)."""
    options = parse(ProcessOptions, dict(QueryParams(query_string)), "query")
    return options, parse_types(options.types)


async def process(request: Request) -> Response:
    """Claim the most urgent claimable job(s); with `wait`, hold until one is claimable."""
    options, types = _claim_query(request.scope["query_string"])
    worker_id = options.worker_id or f"runner-{uuid4().hex[:12]}"
    store, listener = _store(request), _listener(request)
    claims: ClaimBatcher = request.app.state.claims
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.wait
    while True:
        wakeup = listener.next_wakeup()  # taken before the claim, so no notification slips by
        claimed = await claims.claim(worker_id, options.limit or 1, types)
        remaining = deadline - loop.time()
        if claimed or remaining <= 0:
            break
        gone = await _wait_for_claimable(request, store, listener, wakeup, types, remaining)
        if gone:
            return Response(status_code=204)  # the runner gave up: claim nothing for it
    metrics.CLAIMS.inc(len(claimed))
    for claim in claimed:
        metrics.WAIT_TIME.observe(max(claim.waited_seconds, 0))
    if options.limit is not None:
        return json_response({"jobs": [claim.job for claim in claimed]})
    return json_response(claimed[0].job) if claimed else Response(status_code=204)


async def _wait_for_claimable(
    request: Request,
    store: WorkerStore,
    listener: JobsPendingListener,
    wakeup: asyncio.Event,
    types: list[str] | None,
    remaining: float,
) -> bool:
    """Sleep until a NOTIFY says jobs became pending, a scheduled job comes due, or the
    runner hangs up (True): a held request must not outlive its runner, nor delay shutdown."""
    due_in = await store.next_claimable_in(types)
    timeout = remaining if due_in is None else min(remaining, due_in)
    notified = asyncio.ensure_future(listener.wait(wakeup, timeout))
    hung_up = asyncio.ensure_future(_disconnected(request))
    await asyncio.wait({notified, hung_up}, return_when=asyncio.FIRST_COMPLETED)
    for waiter in (notified, hung_up):
        waiter.cancel()
    return hung_up.done() and not hung_up.cancelled()


async def _disconnected(request: Request) -> None:
    """Returns when the client closes the connection (the request has no body left to read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _result_limits(request: Request) -> dict[str, int]:
    """What the contract's result check needs of this service's settings."""
    settings: Settings = request.app.state.settings
    return {MAX_RESULT_BYTES_KEY: settings.max_result_bytes}


async def complete_one(request: Request) -> Response:
    job_id = parse_job_id(request.path_params["job_id"])
    body = parse(CompleteBody, await request.body(), "body", _result_limits(request))
    completion = Completion(job_id, body.attempt, body.result_json)
    completed = await _store(request).complete_one(completion, body.worker_id)
    _observe_completions([completed])
    return json_response(completed.job)


async def complete_many(request: Request) -> Response:
    """Acknowledge a batch in one round trip; each job guarded like a single completion, and
    each result checked on its own: one that cannot be stored is answered in `rejected`."""
    body = parse(CompleteBatchBody, await request.body(), "body", _result_limits(request))
    completions = [
        Completion(job.id, job.attempt, result_json)
        for index, (job, result_json) in enumerate(zip(body.jobs, body.results_json, strict=True))
        if index not in body.rejected
    ]
    completed = await _store(request).complete(completions, body.worker_id) if completions else []
    _observe_completions(completed)
    done = {finished.job_id for finished in completed}
    # model_construct: the ids are UUIDs already, and validating them again costs per job.
    return json_response(
        CompleteBatchAnswer.model_construct(
            completed=[c.id for c in completions if c.id in done],
            conflicts=[c.id for c in completions if c.id not in done],
            rejected=[
                RejectedResult.model_construct(id=body.jobs[index].id, error=error)
                for index, error in body.rejected.items()
            ],
        )
    )


def _observe_completions(completed: list[FinishedAttempt]) -> None:
    # A replayed report was counted when it was first recorded.
    fresh = [finished for finished in completed if not finished.replayed]
    metrics.COMPLETIONS.inc(len(fresh))
    for finished in fresh:
        if finished.ran_seconds is not None:
            metrics.RUN_TIME.observe(finished.ran_seconds)


async def fail(request: Request) -> Response:
    job_id = parse_job_id(request.path_params["job_id"])
    body = parse(FailBody, await request.body(), "body")
    failed = await _store(request).fail(
        job_id, body.attempt, body.worker_id, body.error, body.retryable
    )
    if not failed.replayed:  # a replayed report was counted when it was first recorded
        metrics.FAILURES.labels("retry" if failed.retry_scheduled else "failed").inc()
    if failed.ran_seconds is not None:
        metrics.RUN_TIME.observe(failed.ran_seconds)
    return json_response(failed.job)


async def heartbeat(request: Request) -> Response:
    """Renew the leases of the jobs the runner lists; answer those it no longer holds."""
    worker_id = parse(_WorkerPath, request.path_params, "path").worker_id
    body = parse(HeartbeatBody, await request.body(), "body")
    store = _store(request)
    held = await store.extend_leases(worker_id, body.jobs) if body.jobs else set()
    await store.heartbeat(worker_id, body.processed, body.stopping)
    lost = [job_id for job_id in body.jobs if job_id not in held]
    return json_response(HeartbeatAnswer.model_construct(lost=lost))


class _WorkerPath(BaseModel):
    worker_id: WorkerId


async def list_workers(request: Request) -> Response:
    """The runners, those still running first, up to `limit`."""
    options = parse(RunnerListOptions, dict(request.query_params), "query")
    settings: Settings = request.app.state.settings
    runners = await _store(request).list_runners(settings.worker_down_after_seconds, options.limit)
    return json_response(
        [
            RunnerPublic(
                worker_id=runner.worker_id,
                status=runner.status,
                started_at=runner.started_at,
                last_heartbeat_at=runner.last_heartbeat_at,
                heartbeat_age_seconds=round(runner.heartbeat_age_seconds, 3),
                jobs_in_flight=len(runner.jobs),
                jobs=runner.jobs,
                processed=runner.processed,
            )
            for runner in runners
        ]
    )


async def put_artifact(request: Request) -> Response:
    """Store the file a report job produced (the raw body, with its Content-Type)."""
    job_id = parse_job_id(request.path_params["job_id"])
    declared = media_type(request.headers.get("content-type"))
    if declared not in ACCEPTED_MEDIA_TYPES:
        accepted = " or ".join(sorted(ACCEPTED_MEDIA_TYPES))
        return error_response(415, f"Content-Type must be {accepted}, not {declared or 'unset'}")
    options = parse(ArtifactOptions, dict(request.query_params), "query")
    limit = request.app.state.settings.max_artifact_bytes
    content = await _read_limited(request, limit)
    if content is None:
        return error_response(413, f"artifact is over the limit of {limit} bytes")
    report_format = FORMAT_OF_MEDIA_TYPE[declared]
    filename = options.filename or f"{job_id}.{report_format}"
    # Stored as ours, whatever parameters were sent with it: it is served back as a header.
    content_type = CONTENT_TYPES[report_format]
    await _store(request).put_artifact(job_id, content_type, filename, content, options.attempt)
    return json_response({"job_id": job_id, "filename": filename, "size": len(content)}, 201)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def report_data(request: Request) -> Response:
    """The rows a report runner needs, so runners never hold database credentials."""
    report_type = parse_report_type(request.path_params["report_type"])
    window = parse(DateRange, dict(request.query_params), "query")
    rows = await _store(request).report_rows(report_type, window.start, window.end)
    return json_response({"rows": rows})


async def stats(request: Request) -> Response:
    return json_response({"by_status": await _store(request).counts_by_status()})


async def prometheus_metrics(request: Request) -> Response:
    """The counters, with the gauges read now: waiting claims, the listener, queue depth."""
    try:
        jobs_by_status: dict[str, int] | None = await _store(request).counts_by_status()
    except Exception as error:
        if not is_connection_problem(error):
            raise
        jobs_by_status = None  # the rest of the metrics still answer while it is away
    listener = _listener(request)
    metrics.refresh_gauges(listener.waiting, listener.connected, jobs_by_status)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def healthz(request: Request) -> Response:
    try:
        await _store(request).ping()
    except Exception:  # unreachable, restarting, pool exhausted: all "not healthy"
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)
    return json_response({"status": "ok", "database": "ok"})


async def openapi_json(request: Request) -> Response:
    """The worker protocol as OpenAPI 3.1 (built once, by create_app: see openapi.py)."""
    document: bytes = request.app.state.openapi
    return Response(document, media_type="application/json")


async def docs(request: Request) -> HTMLResponse:
    return swagger_ui.page(request, "Jobdeck worker service")


routes = [
    Route("/process", process, methods=["POST"]),
    Route("/complete", complete_many, methods=["POST"]),
    Route("/complete/{job_id}", complete_one, methods=["POST"]),
    Route("/fail/{job_id}", fail, methods=["POST"]),
    Route("/workers/{worker_id}/heartbeat", heartbeat, methods=["POST"]),
    Route("/workers", list_workers, methods=["GET"]),
    Route("/artifacts/{job_id}", put_artifact, methods=["PUT"]),
    Route("/report-data/{report_type}", report_data, methods=["GET"]),
    Route("/stats", stats, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/metrics", prometheus_metrics, methods=["GET"]),
    Route(swagger_ui.OPENAPI_PATH, openapi_json, methods=["GET"]),
    Route(swagger_ui.DOCS_PATH, docs, methods=["GET"]),
    *(Route(path, swagger_ui.asset, methods=["GET"]) for path in swagger_ui.ASSET_PATHS),
]
