"""The worker protocol: what runners send the worker service, and what it answers."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from job_contract.artifacts import ArtifactFilename
from job_contract.bounds import (
    BIGINT_MAX,
    DEFAULT_MAX_RESULT_BYTES,
    DEFAULT_RUNNER_LIST,
    INTEGER_MAX,
    MAX_CLAIM_BATCH,
    MAX_COMPLETE_BATCH,
    MAX_ERROR_CHARS,
    MAX_HEARTBEAT_JOBS,
    MAX_RUNNER_LIST,
    MAX_WAIT_SECONDS,
)
from job_contract.results import MAX_RESULT_BYTES_KEY, storable_json
from job_contract.statuses import JobStatus
from job_contract.text import NoNul

# No "/": the name is a path segment of /workers/{worker_id}/heartbeat, and a runner that could
# claim under a name it cannot heartbeat with would lose every lease it took.
WorkerId = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"^[^/]+$", description="Any name without a /"),
    NoNul,
]
Attempt = Annotated[
    int | None, Field(ge=1, le=INTEGER_MAX, description="The attempt being reported (fencing)")
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _storable_results(
    results: Sequence[dict[str, Any] | None], max_bytes: int
) -> tuple[list[str | None], dict[int, PydanticCustomError]]:
    """The JSON text of each result (None for a refused one), and by index the refusal of each
    one PostgreSQL cannot store. Run once per body, not once per job: a validator per job costs
    more than the check."""
    texts: list[str | None] = []
    refusals: dict[int, PydanticCustomError] = {}
    for index, result in enumerate(results):
        try:
            texts.append(None if result is None else storable_json(result, max_bytes))
        except PydanticCustomError as error:
            texts.append(None)
            refusals[index] = error
    return texts, refusals


def _max_result_bytes(info: ValidationInfo) -> int:
    return int((info.context or {}).get(MAX_RESULT_BYTES_KEY, DEFAULT_MAX_RESULT_BYTES))


# --- what runners send ------------------------------------------------------------------------


class ProcessOptions(_Body):
    """Query parameters of POST /process."""

    worker_id: WorkerId | None = Field(
        default=None, description="Who claims (else one is made up and answered in `locked_by`)"
    )
    types: str | None = Field(
        default=None, description="Job types to claim, comma-separated (default: any)"
    )
    wait: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] = Field(
        default=0, description="Seconds to hold the request until a job is claimable"
    )
    limit: Annotated[int | None, Field(ge=1, le=MAX_CLAIM_BATCH)] = Field(
        default=None, description='Claim up to this many; the answer is then `{"jobs": [...]}`'
    )


# A job's result is refused, naming it, unless PostgreSQL can store it (job_contract.results).
# The JSON text made to check it is what the store writes: a result is serialized once.


class CompleteBody(_Body):
    result: dict[str, Any] | None = None
    attempt: Attempt = None
    worker_id: WorkerId | None = None
    _result_json: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _result_is_storable(self, info: ValidationInfo) -> Self:
        [self._result_json], refusals = _storable_results([self.result], _max_result_bytes(info))
        if refusals:
            refusal = InitErrorDetails(type=refusals[0], loc=("result",), input=self.result)
            raise ValidationError.from_exception_data(type(self).__name__, [refusal])
        return self

    @property
    def result_json(self) -> str | None:
        """The result as the JSON text to store (as validated)."""
        return self._result_json


class CompletedJob(_Body):
    id: UUID
    attempt: Attempt = None
    result: dict[str, Any] | None = None


class CompleteBatchBody(_Body):
    """Each job's result is checked on its own: one that cannot be stored is answered in
    `rejected` (and its job left as it is), not a 422 that would refuse the whole batch."""

    jobs: Annotated[list[CompletedJob], Field(min_length=1, max_length=MAX_COMPLETE_BATCH)]
    worker_id: WorkerId | None = None
    _results_json: list[str | None] = PrivateAttr(default_factory=list)
    _rejected: dict[int, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _results_are_storable(self, info: ValidationInfo) -> Self:
        results = [job.result for job in self.jobs]
        self._results_json, refusals = _storable_results(results, _max_result_bytes(info))
        self._rejected = {index: refusal.message() for index, refusal in refusals.items()}
        return self

    @property
    def results_json(self) -> list[str | None]:
        """Each job's result as the JSON text to store, in order (as validated)."""
        return self._results_json

    @property
    def rejected(self) -> dict[int, str]:
        """The index of each job whose result cannot be stored, and why."""
        return self._rejected


class FailBody(_Body):
    error: Annotated[str, Field(min_length=1, max_length=MAX_ERROR_CHARS), NoNul]
    retryable: bool = True
    attempt: Attempt = None
    worker_id: WorkerId | None = None


class HeartbeatBody(_Body):
    jobs: Annotated[list[UUID], Field(max_length=MAX_HEARTBEAT_JOBS)] = []
    processed: Annotated[
        int, Field(ge=0, le=BIGINT_MAX, description="Jobs finished since the runner started")
    ] = 0
    stopping: bool = Field(default=False, description="The runner is shutting down for good")


class RunnerListOptions(_Body):
    """Query parameters of GET /workers."""

    limit: Annotated[int, Field(ge=1, le=MAX_RUNNER_LIST)] = DEFAULT_RUNNER_LIST


# --- what the worker service answers ----------------------------------------------------------


class ClaimedJob(BaseModel):
    """What a runner needs of a claimed job (the answer carries the whole public job)."""

    id: UUID
    type: str
    attempts: int = Field(description="This claim's attempt: report it back for fencing")
    payload: dict[str, Any]
    timeout_seconds: float | None = Field(
        default=None, description="Its type's timeout: give up (fail, retryable) after this long"
    )
    lease_seconds: float | None = Field(
        default=None,
        description="How long the lease lasts from the claim, and from each heartbeat that"
        " renews it: past that, without a renewal, the job may be someone else's",
    )


class ClaimedJobs(BaseModel):
    """POST /process?limit=n answers this, with no job when nothing is claimable."""

    jobs: list[ClaimedJob]


class RejectedResult(BaseModel):
    """A job of a batch whose result cannot be stored: failing it is up to the runner."""

    id: UUID
    error: str = Field(description="Why the result was refused")


class CompleteBatchAnswer(BaseModel):
    completed: list[UUID]
    conflicts: list[UUID]
    rejected: list[RejectedResult] = Field(
        default=[], description="Jobs left as they were because their result cannot be stored"
    )


class HeartbeatAnswer(BaseModel):
    lost: list[UUID] = Field(description="Jobs this runner no longer holds: abandon them")


RunnerStatus = Literal["active", "idle", "down"]


class RunnerPublic(BaseModel):
    """One runner as GET /workers lists it."""

    worker_id: str
    status: RunnerStatus
    started_at: datetime
    last_heartbeat_at: datetime
    heartbeat_age_seconds: float
    jobs_in_flight: int
    jobs: list[UUID]
    processed: int


class ArtifactStored(BaseModel):
    """PUT /artifacts/{job_id} answers this (201)."""

    job_id: UUID
    filename: str
    size: int = Field(description="Bytes stored")


class ReportRows(BaseModel):
    """GET /report-data/{report_type}: the rows a report is built from, one object each."""

    rows: list[dict[str, Any]]


class WorkerStats(BaseModel):
    """GET /stats on the worker service."""

    by_status: dict[JobStatus, int]


class FieldError(BaseModel):
    type: str = Field(description="What is wrong, as pydantic names it: missing, too_long, …")
    loc: list[str | int] = Field(description='Where: ["body", "jobs", 0, "id"], ["query", …]')
    msg: str


class InvalidRequest(BaseModel):
    """A 422 of the worker service: each field at fault, as FastAPI words them."""

    detail: list[FieldError]


class ArtifactOptions(_Body):
    """Query parameters of PUT /artifacts/{id}; the body is the file itself."""

    filename: ArtifactFilename | None = Field(
        default=None, description="Its name when downloaded (default: the job id and format)"
    )
    attempt: Attempt = None
