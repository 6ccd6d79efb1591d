"""Scenario 9: stateful fuzz. schemathesis walks a job's workflow across both services: create
→ claim → heartbeat → complete / fail → retry, and cancel, replays and reads, following the
OpenAPI links below, which join the two documents into one (each operation called on the
service that serves it, with the token of the role it is for). Every request's other fields
are generated, valid or not.

No answer may be a 5xx or differ from what its operation documents (the checks of
tests/integration/test_schemathesis.py), and after every step each job's status, attempts and
holder must be what the lifecycle model (tests/chaos/lifecycle.py) says: an answer of 200 or
409 must be the one the model gives, and a refused request (422, 404) must change nothing.

Created jobs are always valid notification jobs (the stateless fuzz covers what POST /jobs
accepts): what they hold decides the claim order, which the model must know.
"""

import copy
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit
from uuid import UUID

import pytest
import schemathesis
from hypothesis.stateful import invariant
from schemathesis import Case
from schemathesis.core.transport import Response

from job_contract.worker_api import CompleteBody, FailBody, ProcessOptions
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.chaos.conftest import machine_settings, sized
from tests.chaos.lifecycle import JobsTable, ModelJob, Outcome
from tests.factories import notification_job
from tests.integration.test_schemathesis import DOCUMENTS, LAX, PRODUCER_EXCLUDED, short_waits

pytestmark = pytest.mark.chaos

EXAMPLES, STEPS = sized(20, 100), sized(15, 40)

# The workflow's operations, by the service that serves them.
WORKFLOW = {
    "producer": {
        "/jobs": ["post"],
        "/jobs/{job_id}": ["get", "delete"],
        "/jobs/{job_id}/retry": ["post"],
    },
    "worker": {
        "/process": ["post"],
        "/workers/{worker_id}/heartbeat": ["post"],
        "/complete/{job_id}": ["post"],
        "/fail/{job_id}": ["post"],
    },
}
SERVICE = {path: service for service, paths in WORKFLOW.items() for path in paths}


def link(
    path: str, method: str, parameters: dict[str, str] | None = None, body: Any = None
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "operationRef": "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method
    }
    if parameters:
        definition["parameters"] = parameters
    if body is not None:
        definition["requestBody"] = body  # merged into the generated body
    return definition


ANSWERED_JOB = {"job_id": "$response.body#/id"}
CLAIMED_ATTEMPT = {"attempt": "$response.body#/attempts", "worker_id": "$response.body#/locked_by"}
SAME_REPORT = {"attempt": "$request.body#/attempt", "worker_id": "$request.body#/worker_id"}
CLAIM = link("/process", "post")
READ = link("/jobs/{job_id}", "get", ANSWERED_JOB)
CANCEL = link("/jobs/{job_id}", "delete", ANSWERED_JOB)
RETRY = link("/jobs/{job_id}/retry", "post", ANSWERED_JOB)

# (path, method, status) → the links from that answer.
LINKS: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
    ("/jobs", "post", "201"): {"Claim": CLAIM, "Read": READ, "Cancel": CANCEL},
    ("/process", "post", "200"): {
        "Heartbeat": link(
            "/workers/{worker_id}/heartbeat",
            "post",
            {"worker_id": "$response.body#/locked_by"},
            {"jobs": ["$response.body#/id"]},
        ),
        "Complete": link("/complete/{job_id}", "post", ANSWERED_JOB, CLAIMED_ATTEMPT),
        "Fail": link("/fail/{job_id}", "post", ANSWERED_JOB, CLAIMED_ATTEMPT),
        "Cancel": CANCEL,
    },
    ("/workers/{worker_id}/heartbeat", "post", "200"): {
        "Claim": CLAIM,
        **{
            name: link(
                path,
                "post",
                {"job_id": "$request.body#/jobs/0"},
                {"worker_id": "$request.path.worker_id"},
            )
            for name, path in (("Complete", "/complete/{job_id}"), ("Fail", "/fail/{job_id}"))
        },
    },
    ("/complete/{job_id}", "post", "200"): {
        "Replay": link("/complete/{job_id}", "post", ANSWERED_JOB, SAME_REPORT),
        "Retry": RETRY,
        "Claim": CLAIM,
    },
    ("/jobs/{job_id}", "get", "200"): {"Claim": CLAIM, "Retry": RETRY, "Cancel": CANCEL},
    ("/fail/{job_id}", "post", "200"): {
        "Replay": link("/fail/{job_id}", "post", ANSWERED_JOB, SAME_REPORT),
        "Retry": RETRY,
        "Claim": CLAIM,
    },
    ("/jobs/{job_id}/retry", "post", "200"): {"Claim": CLAIM, "Cancel": CANCEL},
    ("/jobs/{job_id}", "delete", "200"): {"Retry": RETRY, "Claim": CLAIM},
}


def workflow_document() -> dict[str, Any]:
    """The workflow's operations of both documents, in one, with the links above. The two
    documents share their common schemas (same names, same definitions)."""
    producer, worker = DOCUMENTS["producer"], DOCUMENTS["worker"]
    schemas = {**producer["components"]["schemas"], **worker["components"]["schemas"]}
    document = copy.deepcopy({**producer, "components": {**producer["components"]}})
    document["components"]["schemas"] = copy.deepcopy(schemas)
    document["paths"] = {
        path: {m: copy.deepcopy(DOCUMENTS[service]["paths"][path][m]) for m in methods}
        for service, paths in WORKFLOW.items()
        for path, methods in paths.items()
    }
    for (path, method, status), links in LINKS.items():
        document["paths"][path][method]["responses"][status]["links"] = links
    return document


def as_job_id(value: object) -> str | None:
    """A job id as the model keys it (and the services answer it), however it was spelled."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        return None


def sent_body(case: Case) -> dict[str, Any]:
    """The JSON object the request sent: none at all reads as an empty one (all optional)."""
    return case.body if isinstance(case.body, dict) else {}


class Workflow(schemathesis.openapi.from_dict(workflow_document()).as_state_machine()):  # type: ignore[misc]
    urls: ClassVar[dict[str, str]]
    headers: ClassVar[dict[str, dict[str, str]]]
    database_url: ClassVar[str]

    def setup(self) -> None:
        self.table = JobsTable(self.database_url)
        self.table.clear()
        self.jobs: dict[str, ModelJob] = {}

    def teardown(self) -> None:
        self.table.close()

    def before_call(self, case: Case) -> None:
        # The role's own token, whatever Authorization header was generated: the walk goes on.
        headers = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() != "authorization"
        }
        case.headers = {**headers, **self.headers[SERVICE[case.operation.path]]}
        if case.operation.path == "/jobs":
            wanted = case.body.get("max_attempts") if isinstance(case.body, dict) else None
            attempts = wanted if wanted in (1, 2, 3) else 2
            case.body = notification_job(max_attempts=attempts)
        elif case.operation.path == "/process":
            short_waits(case)

    def get_call_kwargs(self, case: Case) -> dict[str, Any]:
        return {"base_url": self.urls[SERVICE[case.operation.path]]}

    def validate_response(
        self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        excluded = PRODUCER_EXCLUDED if SERVICE[case.operation.path] == "producer" else LAX
        # Each call carries its role's token (before_call): tokens are the stateless fuzz's
        # subject, and here a generated credential would only stop the walk.
        excluded = [*excluded, schemathesis.checks.ignored_auth]
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=excluded,
            transport_kwargs=kwargs,
        )
        self.follow_the_model(case, response)

    # --- the model ------------------------------------------------------------------------

    def follow_the_model(self, case: Case, response: Response) -> None:
        """Move the model as the request should have, and hold the answer to it."""
        status = response.status_code
        job_id = as_job_id((case.path_parameters or {}).get("job_id"))
        if job_id in self.jobs:
            assert status != 404, f"{case.operation.label}: a job of the model is not found"
        if status not in (200, 201, 204, 409):
            return  # refused: the invariant checks that nothing changed
        if case.operation.path == "/process":
            return self.claimed(case, response)
        if case.operation.path == "/workers/{worker_id}/heartbeat":
            return self.heartbeat(case, response)
        if case.operation.path == "/jobs":
            created = response.json()
            if status == 201:
                self.jobs[created["id"]] = ModelJob(len(self.jobs), created["max_attempts"])
            elif status == 200:  # its Idempotency-Key again: the same job, nothing new
                assert created["id"] in self.jobs, created
            return  # 409: the key again with another body, nothing created
        assert job_id is not None
        job = self.jobs[job_id]
        label = f"{case.method} {case.operation.path}"
        if case.method == "GET":
            answered = response.json()
            assert (answered["status"], answered["attempts"], answered["locked_by"]) == job.row
        elif case.method == "DELETE":
            assert status == (200 if job.cancel() else 409), (label, response.text)
        elif case.operation.path == "/jobs/{job_id}/retry":
            assert status == (200 if job.retry() else 409), (label, response.text)
        elif case.operation.path == "/complete/{job_id}":
            complete = CompleteBody.model_validate(sent_body(case))
            self.reported(job.complete(complete.attempt, complete.worker_id), response, label)
        else:
            fail = FailBody.model_validate(sent_body(case))
            outcome = job.fail(fail.attempt, fail.worker_id, fail.retryable)
            self.reported(outcome, response, label)

    @staticmethod
    def reported(outcome: Outcome, response: Response, label: str) -> None:
        expected = 409 if outcome is Outcome.CONFLICT else 200
        assert response.status_code == expected, (label, outcome, response.text)

    def claimed(self, case: Case, response: Response) -> None:
        options = ProcessOptions.model_validate(case.query or {})
        answer = response.json() if response.status_code == 200 else None
        claimed = answer["jobs"] if isinstance(answer, dict) and "jobs" in answer else []
        if isinstance(answer, dict) and "jobs" not in answer:
            claimed = [answer]
        if options.types is None:  # any type: the first claimable jobs, in order
            waiting = sorted(
                (job_id for job_id, job in self.jobs.items() if job.claimable),
                key=lambda job_id: self.jobs[job_id].order,
            )
            assert [job["id"] for job in claimed] == waiting[: options.limit or 1]
        elif not claimed:
            return
        for job in claimed:
            assert job["id"] in self.jobs, f"claimed a job nobody created: {job['id']}"
            self.jobs[job["id"]].claim(job["locked_by"])
            assert job["attempts"] == self.jobs[job["id"]].attempts

    def heartbeat(self, case: Case, response: Response) -> None:
        # The runner as the service read it from the path it was sent (percent-decoded).
        runner = unquote(urlsplit(response.request.url).path.split("/")[-2])
        sent = [as_job_id(job_id) for job_id in sent_body(case).get("jobs", [])]
        lost = {
            job_id
            for job_id in sent
            if job_id not in self.jobs or self.jobs[job_id].heartbeat(runner)
        }
        assert set(response.json()["lost"]) == lost, (runner, sent)

    @invariant()
    def every_job_is_as_the_model_says(self) -> None:
        self.table.assert_as_modelled(self.jobs)


def test_the_workflow_fuzzed_keeps_to_its_documents_and_the_model(
    model_services: tuple[str, str], model_database_url: str, model_tokens: dict[Role, str]
) -> None:
    producer_url, worker_url = model_services
    Workflow.urls = {"producer": producer_url, "worker": worker_url}
    Workflow.headers = {
        "producer": bearer(model_tokens[Role.ADMIN]),
        "worker": bearer(model_tokens[Role.RUNNER]),
    }
    Workflow.database_url = model_database_url
    Workflow.run(
        settings=machine_settings(EXAMPLES, STEPS),
    )
