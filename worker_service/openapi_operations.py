"""The worker protocol's operations, as its OpenAPI document describes them: what each one
does (claims, leases, fencing, long-poll), the contract's models of its body and answers, and
examples built from those models, so each one is valid. openapi.py makes the document."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from job_contract import JobPublic, JobStatus, JobType
from job_contract.bounds import MAX_CLAIM_BATCH, MAX_COMPLETE_BATCH, MAX_WAIT_SECONDS
from job_contract.job_types import JobTypeName
from job_contract.payloads import PAYLOAD_EXAMPLES, DateRange, ReportType
from job_contract.producer_api import ErrorMessage, Health
from job_contract.worker_api import (
    ArtifactOptions,
    ArtifactStored,
    ClaimedJobs,
    CompleteBatchAnswer,
    CompleteBatchBody,
    CompleteBody,
    FailBody,
    HeartbeatAnswer,
    HeartbeatBody,
    InvalidRequest,
    ProcessOptions,
    ReportRows,
    RunnerPublic,
    WorkerId,
    WorkerStats,
)

TITLE = "Jobdeck worker service"

DESCRIPTION = f"""
The protocol runners speak: claim a job, run it, report how it went.

1. **Claim**: `POST /process` leases the most urgent claimable job to the runner (`locked_by`,
   `locked_until`) and counts the claim in `attempts`. `wait` (≤ {MAX_WAIT_SECONDS} s) holds the
   request until a job is claimable (**long-poll**, woken by the database, not by polling):
   200 with the job, or **204** when none came in time. `limit` (≤ {MAX_CLAIM_BATCH}) claims
   several at once.
2. **Keep the lease**: `POST /workers/{{worker_id}}/heartbeat` with the jobs the runner holds
   renews their leases; a job whose lease ran out goes back to `pending` (or to `failed` with no
   attempts left) and is listed in the answer's `lost`: abandon it.
3. **Report**: `POST /complete/{{id}}` (or `POST /complete` for up to {MAX_COMPLETE_BATCH} at
   once) or `POST /fail/{{id}}`. **Fencing**: send the claim's `attempts` as `attempt`; a report
   for an attempt that is not the job's current one is refused with **409** and changes nothing,
   so a runner that lost its lease cannot overwrite the next attempt. The same report sent again
   (its answer was lost) is answered as a success and changes nothing.

Bodies are JSON (`Content-Type: application/json`, else 415) and bounded (413); artifacts are
sent raw. Every operation but the probes and these docs needs `Authorization: Bearer <token>`
(**Authorize** above): a `runner` token for the protocol, any reader's for `/workers` and
`/stats`. No token, or an unknown, expired or revoked one: 401; a role that may not: 403.
"""

Tag = Literal["protocol", "runners", "probes"]
TAGS = [
    {"name": "protocol", "description": "Claims, outcomes and artifacts: what a runner calls"},
    {"name": "runners", "description": "Who is running, and the queue's counts"},
    {"name": "probes", "description": "Health and Prometheus metrics, without a token"},
]


@dataclass(frozen=True)
class Answer:
    """One response of an operation: its body's type (None for no body) and an example."""

    description: str
    model: Any = None
    example: Any = None
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    tag: Tag
    summary: str
    description: str
    answers: dict[int, Answer]
    body: type[BaseModel] | None = None
    body_example: BaseModel | None = None
    query: type[BaseModel] | None = None
    # A body sent as it is (not JSON): the media types accepted.
    raw_body: tuple[str, ...] = field(default=())


# --- examples, built from the models so each one is valid ---------------------------------

_JOB_ID = UUID("5d0f6c2e-3b1a-4f7e-9c5d-2a8b7e6f1c34")
_WORKER = "runner-7f3a9c"
_AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
_CLAIMED = JobPublic(
    id=_JOB_ID,
    type=JobType.EMAIL,
    status=JobStatus.PROCESSING,
    priority=3,
    payload=PAYLOAD_EXAMPLES[JobType.EMAIL],
    result=None,
    error=None,
    attempts=1,
    max_attempts=3,
    scheduled_for=None,
    created_at=_AT - timedelta(seconds=2),
    updated_at=_AT,
    completed_at=None,
    locked_by=_WORKER,
    locked_until=_AT + timedelta(seconds=60),
    concurrency_key=None,
    callback_url=None,
    schedule=None,
)
_RESULT = {"message_id": "<1732440600.42@jobdeck>"}
_COMPLETED = _CLAIMED.model_copy(
    update={
        "status": JobStatus.COMPLETED,
        "result": _RESULT,
        "completed_at": _AT + timedelta(seconds=1),
        "updated_at": _AT + timedelta(seconds=1),
        "locked_by": None,
        "locked_until": None,
    }
)
_RETRYING = _CLAIMED.model_copy(
    update={
        "status": JobStatus.PENDING,
        "error": "SMTP server said 451: try again later",
        "scheduled_for": _AT + timedelta(seconds=2),
        "locked_by": None,
        "locked_until": None,
    }
)


def example(value: BaseModel | list[BaseModel]) -> Any:
    return to_jsonable_python(value)


def _error(detail: str) -> Any:
    return example(ErrorMessage(detail=detail))


# --- the answers several operations share --------------------------------------------------

_NO_JOB = Answer("No job with that id", ErrorMessage, _error(f"job {_JOB_ID} not found"))
_REFUSED = Answer(
    "The job is not `processing`, is held by another runner, or `attempt` is not its current "
    "attempt (fencing): nothing changed",
    ErrorMessage,
    _error(f"job {_JOB_ID} is on attempt 2; attempt 1 lost its lease"),
)
_INVALID = Answer(
    "A parameter or a field of the body is invalid: each one is named in `detail`",
    InvalidRequest,
    {"detail": [{"type": "missing", "loc": ["body", "error"], "msg": "Field required"}]},
)
# The door in front of the service adds 401, 403, 413 and 415 (jobdeck_access.openapi).
_BODY_REFUSALS = {422: _INVALID}

# Query parameters that are comma-separated lists (`types=email,resize_image`), and of what:
# `types` are names (any registered type, built-in or custom), not an enum.
COMMA_SEPARATED: dict[str, Any] = {"types": JobTypeName}

PATH_PARAMETERS: dict[str, tuple[Any, str]] = {
    "job_id": (UUID, "The job's id"),
    "worker_id": (WorkerId, "The runner's id, as it claims with"),
    "report_type": (ReportType, "Which report the rows are for"),
}

OPERATIONS = (
    Operation(
        "POST",
        "/process",
        "claim",
        "protocol",
        "Claim the most urgent claimable job",
        f"""Leases the most urgent claimable job (highest `priority`, then oldest) to the runner:
it becomes `processing`, `attempts` counts this claim, `locked_until` is the lease's end.
Only jobs whose `scheduled_for` has passed, of types not paused and within their
concurrency and rate limits, are claimed.

**Long-poll**: with `wait` (seconds, ≤ {MAX_WAIT_SECONDS}) the request is held until a job is
claimable, then answered 200; **204** (no body) when none was by then. Without `wait`, 204 at
once when nothing is claimable.

With `limit` (≤ {MAX_CLAIM_BATCH}) up to that many jobs are claimed, and the answer is always 200
`{{"jobs": [...]}}` (empty when nothing was claimable), each the whole job.

Send each job's `attempts` back as `attempt` when reporting on it (fencing). `lease_seconds`
says how long the lease lasts from the claim and from each heartbeat renewing it: a runner
that heard no renewal for that long should stop the job, as someone else may have it.""",
        {
            200: Answer(
                'The claimed job (without `limit`), or `{"jobs": [...]}` (with `limit`)',
                JobPublic | ClaimedJobs,
                example(_CLAIMED),
            ),
            204: Answer("Nothing was claimable (within `wait`)"),
            422: _INVALID,
        },
        query=ProcessOptions,
    ),
    Operation(
        "POST",
        "/complete/{job_id}",
        "complete",
        "protocol",
        "Report a job done",
        """The job becomes `completed` with `result`, and its lease ends.

**Fencing**: with `attempt`, a report for any attempt but the job's current one is refused
(409) and changes nothing. With `worker_id`, so is a report for a job another runner holds.
A report the service already recorded for the same job, attempt and runner (sent again after
a lost answer) is answered 200 with the job as it is, and changes nothing.""",
        {200: Answer("The job, now `completed`", JobPublic, example(_COMPLETED))}
        | {404: _NO_JOB, 409: _REFUSED}
        | _BODY_REFUSALS,
        body=CompleteBody,
        body_example=CompleteBody(result=_RESULT, attempt=1, worker_id=_WORKER),
    ),
    Operation(
        "POST",
        "/complete",
        "complete_batch",
        "protocol",
        f"Report up to {MAX_COMPLETE_BATCH} jobs done in one round trip",
        """Each job is guarded as `POST /complete/{job_id}` guards one (fencing with its
`attempt`). Those that could not be completed (unknown, not `processing`, another attempt, held
by another runner) are listed in `conflicts` and left as they are. One already completed by the
same attempt and runner (the batch sent again after a lost answer) is listed in `completed`, and
changes nothing. A job whose `result` cannot be stored (too large, NaN, NUL) is listed in
`rejected` with why, and left `processing`: the others are completed all the same, and failing
that one is up to the runner.""",
        {
            200: Answer(
                "Which jobs were completed, and which were refused",
                CompleteBatchAnswer,
                example(CompleteBatchAnswer(completed=[_JOB_ID], conflicts=[])),
            ),
        }
        | _BODY_REFUSALS,
        body=CompleteBatchBody,
        body_example=CompleteBatchBody.model_validate(
            {"jobs": [{"id": _JOB_ID, "attempt": 1, "result": _RESULT}], "worker_id": _WORKER}
        ),
    ),
    Operation(
        "POST",
        "/fail/{job_id}",
        "fail",
        "protocol",
        "Report a job failed",
        """With attempts left and `retryable` (the default), the job goes back to `pending`,
claimable again after an exponential back-off (`scheduled_for`); otherwise it is `failed` for
good. `error` is kept as the job's last error.

**Fencing** as for `POST /complete/{job_id}`: another attempt's report is refused (409). A
failure the service already recorded for the same job, attempt and runner (sent again after a
lost answer) is answered 200 with the job as it is now, and changes nothing.""",
        {
            200: Answer(
                "The job: `pending` again (a retry), or `failed`", JobPublic, example(_RETRYING)
            )
        }
        | {404: _NO_JOB, 409: _REFUSED}
        | _BODY_REFUSALS,
        body=FailBody,
        body_example=FailBody(
            error="SMTP server said 451: try again later", attempt=1, worker_id=_WORKER
        ),
    ),
    Operation(
        "POST",
        "/workers/{worker_id}/heartbeat",
        "heartbeat",
        "protocol",
        "Renew the leases of the jobs a runner holds",
        """Send it every `HEARTBEAT_INTERVAL_SECONDS` (well within the lease) with the ids of
the jobs the runner is running: their leases are renewed. Jobs it no longer holds (its lease
ran out and they were rescued, or another runner has them) are answered in `lost`: stop them
and do not report them. The heartbeat also marks the runner alive in `GET /workers`; send
`stopping: true` when it shuts down.""",
        {
            200: Answer(
                "The jobs among those sent that this runner no longer holds",
                HeartbeatAnswer,
                example(HeartbeatAnswer(lost=[])),
            ),
        }
        | _BODY_REFUSALS,
        body=HeartbeatBody,
        body_example=HeartbeatBody(jobs=[_JOB_ID], processed=41),
    ),
    Operation(
        "PUT",
        "/artifacts/{job_id}",
        "put_artifact",
        "protocol",
        "Store the file a report job produced",
        """The body is the file itself, sent as it is with its `Content-Type`; `filename` names
it for downloads and `attempt` fences it as outcomes are fenced. The file is stored in
PostgreSQL and downloaded from the producer API (`GET /jobs/{job_id}/artifact`).""",
        {
            201: Answer(
                "The file is stored",
                ArtifactStored,
                example(ArtifactStored(job_id=_JOB_ID, filename="jobs_summary.csv", size=1234)),
            ),
            404: _NO_JOB,
            409: _REFUSED,
            413: Answer("The file is over MAX_ARTIFACT_BYTES (or MAX_BODY_BYTES)", ErrorMessage),
            415: Answer("The Content-Type is not text/csv nor application/pdf", ErrorMessage),
            422: _INVALID,
        },
        query=ArtifactOptions,
        raw_body=("text/csv", "application/pdf"),
    ),
    Operation(
        "GET",
        "/report-data/{report_type}",
        "report_data",
        "protocol",
        "The rows a report is built from",
        """Report runners build their CSV or PDF from these rows (jobs created, or finished, from
`start` to `end` inclusive), so that runners never hold database credentials.""",
        {
            200: Answer(
                "One object per row; its fields depend on the report",
                ReportRows,
                example(ReportRows(rows=[{"day": "2026-11-24", "completed": 40, "failed": 2}])),
            ),
            404: Answer("No such report", ErrorMessage, _error("no report called 'weekly'")),
            422: _INVALID,
        },
        query=DateRange,
    ),
    Operation(
        "GET",
        "/workers",
        "list_runners",
        "runners",
        "The runners, with their heartbeats and the jobs they hold",
        """A runner is `active` while it holds jobs, `idle` while it heartbeats holding none, and
`down` once its last heartbeat is older than `WORKER_DOWN_AFTER_SECONDS`.""",
        {
            200: Answer(
                "Every runner known",
                list[RunnerPublic],
                example(
                    [
                        RunnerPublic(
                            worker_id=_WORKER,
                            status="active",
                            started_at=_AT - timedelta(hours=3),
                            last_heartbeat_at=_AT,
                            heartbeat_age_seconds=1.2,
                            jobs_in_flight=1,
                            jobs=[_JOB_ID],
                            processed=41,
                        )
                    ]
                ),
            ),
        },
    ),
    Operation(
        "GET",
        "/stats",
        "stats",
        "runners",
        "Job counts by status",
        "",
        {
            200: Answer(
                "How many jobs are in each status",
                WorkerStats,
                example(WorkerStats(by_status={status: 0 for status in JobStatus})),
            ),
        },
    ),
    Operation(
        "GET",
        "/healthz",
        "healthz",
        "probes",
        "Whether the service can reach its database",
        "",
        {
            200: Answer("Healthy", Health, example(Health(status="ok", database="ok"))),
            503: Answer(
                "The database is unreachable",
                Health,
                example(Health(status="unavailable", database="unreachable")),
            ),
        },
    ),
    Operation(
        "GET",
        "/metrics",
        "metrics",
        "probes",
        "Prometheus metrics",
        "Claims, completions, failures, run and wait times, queue depth, waiting long-polls.",
        {200: Answer("Prometheus' text format", str, media_type="text/plain")},
    ),
)
