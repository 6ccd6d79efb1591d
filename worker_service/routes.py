"""The worker service's HTTP routes: claim, report outcomes, heartbeats, artifacts, stats."""

import asyncio
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from job_contract import JobType
from job_contract.worker_api import (
    CompleteBatchBody,
    CompleteBody,
    FailBody,
    HeartbeatBody,
    ProcessOptions,
    WorkerId,
)
from worker_service import metrics
from worker_service.claims import ClaimBatcher
from worker_service.responses import RequestInvalid, error_response, json_response, parse
from worker_service.settings import Settings
from worker_service.store import REPORT_QUERIES, Outcome, WorkerStore, public
from worker_service.wakeups import PendingJobs


def _store(request: Request) -> WorkerStore:
    store: WorkerStore = request.app.state.store
    return store


def _job_id(request: Request) -> UUID:
    raw = request.path_params["job_id"]
    try:
        return UUID(raw)
    except ValueError:
        raise RequestInvalid(
            [
                {
                    "type": "uuid_parsing",
                    "loc": ["path", "job_id"],
                    "msg": "Input should be a valid UUID",
                }
            ]
        ) from None


def _types(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in {job_type.value for job_type in JobType}]
    if unknown:
        allowed = ", ".join(JobType)
        raise RequestInvalid(
            [{"type": "enum", "loc": ["query", "types"], "msg": f"types must be among {allowed}"}]
        )
    return names


async def process(request: Request) -> Response:
    """Claim the most urgent claimable job(s); with `wait`, hold until one is claimable."""
    options = parse(ProcessOptions, dict(request.query_params), "query")
    types = _types(options.types)
    worker_id = options.worker_id or f"runner-{uuid4().hex[:12]}"
    store, pending = _store(request), request.app.state.pending
    claims: ClaimBatcher = request.app.state.claims
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.wait
    while True:
        wakeup = pending.current()  # taken before the claim, so no notification slips by
        claimed = await claims.claim(worker_id, options.limit or 1, types)
        remaining = deadline - loop.time()
        if claimed or remaining <= 0:
            break
        gone = await _wait_for_claimable(request, store, pending, wakeup, types, remaining)
        if gone:
            return Response(status_code=204)  # the runner gave up: claim nothing for it
    metrics.CLAIMS.inc(len(claimed))
    for job in claimed:
        metrics.WAIT_TIME.observe(max(job["waited_seconds"], 0))
    jobs = [public(job) for job in claimed]
    if options.limit is not None:
        return json_response({"jobs": jobs})
    return json_response(jobs[0]) if jobs else Response(status_code=204)


async def _wait_for_claimable(
    request: Request,
    store: WorkerStore,
    pending: PendingJobs,
    wakeup: asyncio.Event,
    types: list[str] | None,
    remaining: float,
) -> bool:
    """Sleep until a NOTIFY says jobs became pending, a scheduled job comes due, or the
    runner hangs up (True): a held request must not outlive its runner, nor delay shutdown."""
    due_in = await store.next_claimable_in(types)
    timeout = remaining if due_in is None else min(remaining, due_in)
    notified = asyncio.ensure_future(pending.wait(wakeup, timeout))
    hung_up = asyncio.ensure_future(_disconnected(request))
    await asyncio.wait({notified, hung_up}, return_when=asyncio.FIRST_COMPLETED)
    for waiter in (notified, hung_up):
        waiter.cancel()
    return hung_up.done() and not hung_up.cancelled()


async def _disconnected(request: Request) -> None:
    """Returns when the client closes the connection (the request has no body left to read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def complete_one(request: Request) -> Response:
    job_id = _job_id(request)
    body = parse(CompleteBody, await request.body(), "body")
    completed = await _store(request).complete(
        [Outcome(job_id, body.attempt, body.result)], body.worker_id
    )
    if not completed:
        return await _refusal(request, job_id, body.attempt)
    _observe_completions(completed)
    return json_response(public(completed[0]))


async def complete_many(request: Request) -> Response:
    """Acknowledge a batch in one round trip; each job guarded like a single completion."""
    body = parse(CompleteBatchBody, await request.body(), "body")
    outcomes = [Outcome(job.id, job.attempt, job.result) for job in body.jobs]
    completed = await _store(request).complete(outcomes, body.worker_id)
    _observe_completions(completed)
    done = {job["id"] for job in completed}
    return json_response(
        {
            "completed": [o.id for o in outcomes if o.id in done],
            "conflicts": [o.id for o in outcomes if o.id not in done],
        }
    )


def _observe_completions(completed: list[Any]) -> None:
    metrics.COMPLETIONS.inc(len(completed))
    for job in completed:
        if job["ran_seconds"] is not None:
            metrics.RUN_TIME.observe(job["ran_seconds"])


async def fail(request: Request) -> Response:
    job_id = _job_id(request)
    body = parse(FailBody, await request.body(), "body")
    failed = await _store(request).fail(
        job_id, body.attempt, body.worker_id, body.error, body.retryable
    )
    if failed is None:
        return await _refusal(request, job_id, body.attempt)
    metrics.FAILURES.labels("retry" if failed["status"] == "pending" else "failed").inc()
    if failed["ran_seconds"] is not None:
        metrics.RUN_TIME.observe(failed["ran_seconds"])
    return json_response(public(failed))


async def _refusal(request: Request, job_id: UUID, attempt: int | None) -> Response:
    """404 for an unknown job; 409 saying why an outcome was not accepted."""
    job = await _store(request).get_job(job_id)
    if job is None:
        return error_response(404, f"job {job_id} not found")
    if job["status"] != "processing":
        return error_response(409, f"job {job_id} is {job['status']}, not processing")
    if attempt is not None and job["attempts"] != attempt:
        return error_response(
            409, f"job {job_id} is on attempt {job['attempts']}; attempt {attempt} lost its lease"
        )
    return error_response(409, f"job {job_id} is held by {job['locked_by']}")


async def heartbeat(request: Request) -> Response:
    """Renew the leases of the jobs the runner lists; answer those it no longer holds."""
    worker_id = parse(_WorkerPath, request.path_params, "path").worker_id
    body = parse(HeartbeatBody, await request.body(), "body")
    store = _store(request)
    held = await store.extend_leases(worker_id, body.jobs) if body.jobs else set()
    await store.heartbeat(worker_id, body.processed, body.stopping)
    return json_response({"lost": [job_id for job_id in body.jobs if job_id not in held]})


class _WorkerPath(BaseModel):
    worker_id: WorkerId


async def list_workers(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    runners = []
    for row in await _store(request).list_workers():
        age = row["heartbeat_age_seconds"]
        if row["stopped_at"] is not None or age > settings.worker_down_after_seconds:
            status = "down"
        else:
            status = "active" if row["jobs"] else "idle"
        runners.append(
            {
                "worker_id": row["worker_id"],
                "status": status,
                "started_at": row["started_at"],
                "last_heartbeat_at": row["last_heartbeat_at"],
                "heartbeat_age_seconds": round(age, 3),
                "jobs_in_flight": len(row["jobs"]),
                "jobs": row["jobs"],
                "processed": row["processed"],
            }
        )
    return json_response(runners)


async def put_artifact(request: Request) -> Response:
    """Store the file a report job produced (the raw body, with its Content-Type)."""
    job_id = _job_id(request)
    limit = request.app.state.settings.max_artifact_bytes
    content = await _read_limited(request, limit)
    if content is None:
        return error_response(413, f"artifact is over the limit of {limit} bytes")
    options = parse(_ArtifactOptions, dict(request.query_params), "query")
    content_type = request.headers.get("content-type", "application/octet-stream")
    filename = options.filename or f"{job_id}"
    stored = await _store(request).put_artifact(
        job_id, content_type, filename, content, options.attempt
    )
    if not stored:
        return await _refusal(request, job_id, options.attempt)
    return json_response({"job_id": job_id, "filename": filename, "size": len(content)}, 201)


class _ArtifactOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str | None = None
    attempt: int | None = None


async def _read_limited(request: Request, limit: int) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class _ReportRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: date
    end: date


async def report_data(request: Request) -> Response:
    """The rows a report runner needs, so runners never hold database credentials."""
    report_type = request.path_params["report_type"]
    if report_type not in REPORT_QUERIES:
        return error_response(404, f"no report called {report_type!r}")
    window = parse(_ReportRange, dict(request.query_params), "query")
    rows = await _store(request).report_rows(report_type, window.start, window.end)
    return json_response({"rows": rows})


async def stats(request: Request) -> Response:
    return json_response({"by_status": await _store(request).counts_by_status()})


async def healthz(request: Request) -> Response:
    try:
        await _store(request).ping()
    except Exception:  # unreachable, restarting, pool exhausted: all "not healthy"
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)
    return json_response({"status": "ok", "database": "ok"})


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
]
