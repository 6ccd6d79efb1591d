"""Scenario 8: the job lifecycle against a model. A hypothesis state machine creates, claims,
heartbeats, completes, fails, cancels, retries and rescues jobs through the real services, and
lets time pass; every answer, and every job's status, attempts and holder after each step, must
be what a small in-memory model of the SPEC's lifecycle says.

The model's services work on a database of their own, with hour-long leases and back-offs,
so time passes only when the machine says so (it moves the database's deadlines into the past)
and no other service's rescuer acts on it.
"""

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from devstack.databases import migrated_database
from job_contract.jobs import JobPublic
from jobdeck_access.roles import Role
from tests.access import bearer, create_tokens
from tests.chaos.conftest import BIG, sized
from tests.factories import notification_job
from tests.servers import uvicorn_server
from worker_service.rescuer import Rescuer
from worker_service.store import WorkerStore, create_pool

pytestmark = pytest.mark.chaos

RUNNERS = ["runner-a", "runner-b"]
HOUR = "3600"
# More examples with CHAOS_MODEL_EXAMPLES (make chaos sets it high).
EXAMPLES = int(os.environ.get("CHAOS_MODEL_EXAMPLES", sized(12, 100)))
STEPS = 30
PHASES = list(Phase)


@dataclass
class ModelJob:
    order: int  # creation order: the claim order, all priorities being equal
    max_attempts: int
    status: str = "pending"
    attempts: int = 0
    holder: str | None = None
    backing_off: bool = False  # pending, but its retry delay has not passed
    lease_expired: bool = False
    # What the ledger holds: reports of (attempt, runner) already recorded, never forgotten.
    completions: set[tuple[int, str]] = field(default_factory=set)
    failures: set[tuple[int, str]] = field(default_factory=set)

    @property
    def claimable(self) -> bool:
        return self.status == "pending" and not self.backing_off


@pytest.fixture(scope="module")
def model_database_url(server_url: str) -> Iterator[str]:
    with migrated_database(server_url, "jobdeck_model") as url:
        yield url


@pytest.fixture(scope="module")
def model_services(model_database_url: str) -> Iterator[tuple[str, str]]:
    """The producer API and a worker service on the model's database."""
    env = {
        "DATABASE_URL": model_database_url,
        "DB_POOL_SIZE": "2",
        "LEASE_SECONDS": HOUR,
        "RETRY_BASE_DELAY_SECONDS": HOUR,
        "RESCUE_INTERVAL_SECONDS": HOUR,
    }
    with (
        uvicorn_server("producer_api.main:app", env) as producer_url,
        uvicorn_server("worker_service.main:app", env) as worker_url,
    ):
        yield producer_url, worker_url


@pytest.fixture(scope="module")
async def model_tokens(model_database_url: str) -> dict[Role, str]:
    return await create_tokens(model_database_url, prefix="model")


class Lifecycle(RuleBasedStateMachine):
    producer: httpx.Client
    worker: httpx.Client
    database_url: str

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.db: asyncpg.Connection = self._run(asyncpg.connect(self.database_url))
        self._run(self.db.execute("TRUNCATE jobs, job_events, workers CASCADE"))
        durable = self._run(create_pool(self.database_url, 2, durable=True))
        self.rescuer = Rescuer(WorkerStore(durable, durable, 3600, 3600, 3600))
        self._pool = durable
        self.jobs: dict[str, ModelJob] = {}

    def _run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    @staticmethod
    def _job(response: httpx.Response) -> dict[str, Any]:
        """A 200's job, which must have the shape the OpenAPI documents promise."""
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        JobPublic.model_validate(job)
        return job

    def teardown(self) -> None:
        self._run(self._pool.close())
        self._run(self.db.close())
        self.loop.close()

    # --- choosing -------------------------------------------------------------------------

    def _pick(self, data: st.DataObject, where: Any = None) -> str:
        ids = sorted(
            (job_id for job_id, job in self.jobs.items() if where is None or where(job)),
            key=lambda job_id: self.jobs[job_id].order,
        )
        job_id: str = data.draw(st.sampled_from(ids))
        return job_id

    # --- the producer's side --------------------------------------------------------------

    @initialize()
    def start_with_a_job(self) -> None:
        self.create(max_attempts=2)

    @rule(max_attempts=st.integers(1, 3))
    def create(self, max_attempts: int) -> None:
        response = self.producer.post("/jobs", json=notification_job(max_attempts=max_attempts))
        assert response.status_code == 201, response.text
        self.jobs[response.json()["id"]] = ModelJob(len(self.jobs), max_attempts)

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = self._pick(data)
        job = self.jobs[job_id]
        response = self.producer.delete(f"/jobs/{job_id}")
        if job.status == "pending":
            assert response.status_code == 200, response.text
            job.status, job.backing_off = "cancelled", False
        else:
            assert response.status_code == 409, response.text

    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        job_id = self._pick(data)
        job = self.jobs[job_id]
        response = self.producer.post(f"/jobs/{job_id}/retry")
        if job.status in ("failed", "cancelled"):
            assert response.status_code == 200, response.text
            job.status, job.attempts, job.backing_off = "pending", 0, False
        else:
            assert response.status_code == 409, response.text

    # --- the runners' side ----------------------------------------------------------------

    @rule(runner=st.sampled_from(RUNNERS))
    def claim(self, runner: str) -> None:
        response = self.worker.post(f"/process?worker_id={runner}")
        claimable = [job_id for job_id, job in self.jobs.items() if job.claimable]
        if not claimable:
            assert response.status_code == 204, response.text
            return
        expected = min(claimable, key=lambda job_id: self.jobs[job_id].order)
        assert self._job(response)["id"] == expected
        job = self.jobs[expected]
        job.status, job.attempts, job.holder = "processing", job.attempts + 1, runner
        job.lease_expired = False
        assert response.json()["attempts"] == job.attempts

    @rule(data=st.data(), runner=st.sampled_from(RUNNERS))
    def heartbeat(self, data: st.DataObject, runner: str) -> None:
        job_id = self._pick(data)
        response = self.worker.post(f"/workers/{runner}/heartbeat", json={"jobs": [job_id]})
        job = self.jobs[job_id]
        held = job.status == "processing" and job.holder == runner
        assert response.json() == {"lost": [] if held else [job_id]}
        if held:
            job.lease_expired = False

    def _report(self, data: st.DataObject) -> tuple[str, ModelJob, int, str]:
        """A job, and who reports on it in which attempt: mostly its holder, sometimes not."""
        job_id = self._pick(data)
        job = self.jobs[job_id]
        attempt = data.draw(st.sampled_from(sorted({max(job.attempts, 1), job.attempts + 1})))
        runner = data.draw(st.sampled_from([job.holder or RUNNERS[0], *RUNNERS]))
        return job_id, job, attempt, runner

    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        job_id, job, attempt, runner = self._report(data)
        body = {"result": {"by": runner}, "attempt": attempt, "worker_id": runner}
        response = self.worker.post(f"/complete/{job_id}", json=body)
        if job.status == "processing" and (attempt, runner) == (job.attempts, job.holder):
            assert self._job(response)["result"] == body["result"]
            job.status, job.holder, job.lease_expired = "completed", None, False
            job.completions.add((attempt, runner))
        elif (attempt, runner) in job.completions:
            assert self._job(response)["status"] == "completed"  # a replay: changes nothing
        else:
            assert response.status_code == 409, response.text

    @rule(data=st.data(), retryable=st.booleans())
    def fail(self, data: st.DataObject, retryable: bool) -> None:
        job_id, job, attempt, runner = self._report(data)
        body = {"error": "boom", "retryable": retryable, "attempt": attempt, "worker_id": runner}
        response = self.worker.post(f"/fail/{job_id}", json=body)
        if job.status == "processing" and (attempt, runner) == (job.attempts, job.holder):
            self._job(response)
            again = retryable and job.attempts < job.max_attempts
            job.status = "pending" if again else "failed"
            job.holder, job.lease_expired, job.backing_off = None, False, again
            job.failures.add((attempt, runner))
        elif (attempt, runner) in job.failures:
            self._job(response)  # a replay: changes nothing
        else:
            assert response.status_code == 409, response.text

    # --- time -----------------------------------------------------------------------------

    @rule()
    def an_hour_passes(self) -> None:
        """Every lease runs out, and every back-off is over."""
        self._run(
            self.db.execute(
                """UPDATE jobs SET locked_until = now() - interval '1 second',
                                   scheduled_for = least(scheduled_for, now())"""
            )
        )
        for job in self.jobs.values():
            job.backing_off = False
            job.lease_expired = job.status == "processing"

    @precondition(lambda self: any(job.lease_expired for job in self.jobs.values()))
    @rule()
    def rescue(self) -> None:
        rescued = self._run(self.rescuer.run_once())
        expired = [job for job in self.jobs.values() if job.lease_expired]
        assert rescued == len(expired)
        for job in expired:
            job.status = "pending" if job.attempts < job.max_attempts else "failed"
            job.holder, job.lease_expired = None, False

    # --- the check ------------------------------------------------------------------------

    @invariant()
    def every_job_is_as_the_model_says(self) -> None:
        rows = self._run(self.db.fetch("SELECT id, status, attempts, locked_by FROM jobs"))
        actual = {
            str(row["id"]): (row["status"], row["attempts"], row["locked_by"]) for row in rows
        }
        expected = {
            job_id: (job.status, job.attempts, job.holder) for job_id, job in self.jobs.items()
        }
        assert actual == expected


def test_the_lifecycle_matches_the_model(
    model_services: tuple[str, str], model_database_url: str, model_tokens: dict[Role, str]
) -> None:
    producer_url, worker_url = model_services
    admin, runner = bearer(model_tokens[Role.ADMIN]), bearer(model_tokens[Role.RUNNER])
    with (
        httpx.Client(base_url=producer_url, headers=admin, timeout=30) as producer,
        httpx.Client(base_url=worker_url, headers=runner, timeout=30) as worker,
    ):
        Lifecycle.producer, Lifecycle.worker = producer, worker
        Lifecycle.database_url = model_database_url
        run_state_machine_as_test(
            Lifecycle,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                derandomize=not BIG,
                # Shrinking a failure through real services can take many minutes: CI shows
                # the failing steps as found; `make chaos` shrinks them.
                phases=PHASES if BIG else [phase for phase in PHASES if phase != Phase.shrink],
                suppress_health_check=list(HealthCheck),
            ),
        )
