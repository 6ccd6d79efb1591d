"""Scenario 8: the job lifecycle against a model. A hypothesis state machine creates, claims,
heartbeats, completes, fails, cancels, retries and rescues jobs through the real services, and
lets time pass; every answer, and every job's status, attempts and holder after each step, must
be what a small in-memory model of the SPEC's lifecycle says.

The model's services work on a database of their own, with hour-long leases and back-offs,
so time passes only when the machine says so (it moves the database's deadlines into the past)
and no other service's rescuer acts on it.
"""

import os
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from job_contract.jobs import JobPublic
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.chaos.conftest import machine_settings, sized
from tests.chaos.lifecycle import JobsTable, ModelJob, Outcome, first_claimable
from tests.factories import notification_job
from worker_service.rescuer import Rescuer
from worker_service.store import WorkerStore, create_pool

pytestmark = pytest.mark.chaos

RUNNERS = ["runner-a", "runner-b"]
# More examples with CHAOS_MODEL_EXAMPLES (make chaos sets it high).
EXAMPLES = int(os.environ.get("CHAOS_MODEL_EXAMPLES", sized(12, 100)))
STEPS = 30


class Lifecycle(RuleBasedStateMachine):
    producer: httpx.Client
    worker: httpx.Client
    database_url: str

    def __init__(self) -> None:
        super().__init__()
        self.table = JobsTable(self.database_url)
        self.table.clear()
        self._pool = self.table.run(create_pool(self.database_url, 2, durable=True))
        self.rescuer = Rescuer(WorkerStore(self._pool, self._pool, 3600, 3600, 3600))
        self.jobs: dict[str, ModelJob] = {}

    @staticmethod
    def _job(response: httpx.Response) -> dict[str, Any]:
        """A 200's job, which must have the shape the OpenAPI documents promise."""
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        JobPublic.model_validate(job)
        return job

    def _answered(self, response: httpx.Response, outcome: Outcome) -> None:
        if outcome is Outcome.CONFLICT:
            assert response.status_code == 409, response.text
        else:
            self._job(response)

    def teardown(self) -> None:
        self.table.run(self._pool.close())
        self.table.close()

    # --- choosing -------------------------------------------------------------------------

    def _pick(self, data: st.DataObject) -> str:
        ids = sorted(self.jobs, key=lambda job_id: self.jobs[job_id].order)
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
        response = self.producer.delete(f"/jobs/{job_id}")
        assert response.status_code == (200 if self.jobs[job_id].cancel() else 409), response.text

    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        job_id = self._pick(data)
        response = self.producer.post(f"/jobs/{job_id}/retry")
        assert response.status_code == (200 if self.jobs[job_id].retry() else 409), response.text

    # --- the runners' side ----------------------------------------------------------------

    @rule(runner=st.sampled_from(RUNNERS))
    def claim(self, runner: str) -> None:
        response = self.worker.post(f"/process?worker_id={runner}")
        expected = first_claimable(self.jobs)
        if expected is None:
            assert response.status_code == 204, response.text
            return
        assert self._job(response)["id"] == expected
        job = self.jobs[expected]
        job.claim(runner)
        assert response.json()["attempts"] == job.attempts

    @rule(data=st.data(), runner=st.sampled_from(RUNNERS))
    def heartbeat(self, data: st.DataObject, runner: str) -> None:
        job_id = self._pick(data)
        response = self.worker.post(f"/workers/{runner}/heartbeat", json={"jobs": [job_id]})
        lost = self.jobs[job_id].heartbeat(runner)
        assert response.json() == {"lost": [job_id] if lost else []}

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
        outcome = job.complete(attempt, runner)
        self._answered(response, outcome)
        if outcome is Outcome.RECORDED:
            assert response.json()["result"] == body["result"]
        elif outcome is Outcome.REPLAYED:
            assert response.json()["status"] == "completed"  # changes nothing

    @rule(data=st.data(), retryable=st.booleans())
    def fail(self, data: st.DataObject, retryable: bool) -> None:
        job_id, job, attempt, runner = self._report(data)
        body = {"error": "boom", "retryable": retryable, "attempt": attempt, "worker_id": runner}
        response = self.worker.post(f"/fail/{job_id}", json=body)
        self._answered(response, job.fail(attempt, runner, retryable))

    # --- time -----------------------------------------------------------------------------

    @rule()
    def an_hour_passes(self) -> None:
        """Every lease runs out, and every back-off is over."""
        self.table.run(
            self.table.db.execute(
                """UPDATE jobs SET locked_until = now() - interval '1 second',
                                   scheduled_for = least(scheduled_for, now())"""
            )
        )
        for job in self.jobs.values():
            job.time_passes()

    @precondition(lambda self: any(job.lease_expired for job in self.jobs.values()))
    @rule()
    def rescue(self) -> None:
        rescued = self.table.run(self.rescuer.run_once())
        expired = [job for job in self.jobs.values() if job.lease_expired]
        assert rescued == len(expired)
        for job in expired:
            job.rescue()

    # --- the check ------------------------------------------------------------------------

    @invariant()
    def every_job_is_as_the_model_says(self) -> None:
        self.table.assert_as_modelled(self.jobs)


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
            settings=machine_settings(EXAMPLES, STEPS),
        )
