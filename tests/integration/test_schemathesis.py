"""schemathesis against both APIs' OpenAPI documents, calling the running services with a
token of each role: generated requests, valid and not, are never answered with a 5xx, nor with
an answer their operation does not document (status, media type, headers, schema).

The documents are read from the apps while the tests are collected (the servers start later,
with the session); the first test checks that the servers serve exactly these documents.
"""

from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import Case

from job_contract.bounds import MAX_CLAIM_BATCH
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import create_job, email_job, report_job
from worker_service.openapi import openapi_document

# Bounded so that both documents, every role, stay well under two minutes on two cores: the
# role each API is for gets the most examples, the roles it mostly refuses a few.
MAX_EXAMPLES, MAX_EXAMPLES_REFUSED = 40, 8

# Artifacts are sent raw, as report runners send their CSV or PDF.
schemathesis.serializer.alias("text/csv", "application/octet-stream")
schemathesis.serializer.alias("application/pdf", "application/octet-stream")


def producer_document() -> dict[str, Any]:
    from producer_api.main import app

    while not hasattr(app, "openapi"):  # under the middleware that guards it
        app = app.app
    document: dict[str, Any] = app.openapi()
    return document


DOCUMENTS = {"producer": producer_document(), "worker": openapi_document()}


def load(document: dict[str, Any], max_examples: int) -> Any:
    schema = schemathesis.openapi.from_dict(document)
    # The same examples every run: what fails fails again, and CI is no lottery.
    schema.config.generation.update(max_examples=max_examples, deterministic=True)
    return schema


producer_schema = load(DOCUMENTS["producer"], MAX_EXAMPLES)
producer_schema_refusing = load(DOCUMENTS["producer"], MAX_EXAMPLES_REFUSED)
worker_schema = load(DOCUMENTS["worker"], MAX_EXAMPLES)
worker_schema_refusing = load(DOCUMENTS["worker"], MAX_EXAMPLES_REFUSED)

# What schemathesis' checks cannot hold these APIs to, and why; every other check runs.
checks = schemathesis.checks
# pydantic reads JSON in lax mode by design (0 for false, "3" for 3): "invalid data accepted".
# And some rules JSON Schema cannot say (a report range's start on or before its end; `types`
# naming job types): "valid data rejected" with a 422 that names the field.
LAX = [checks.negative_data_rejection, checks.positive_data_acceptance]
PRODUCER_EXCLUDED = [
    *LAX,
    # Starlette's routing: GET /jobs/batch is GET /jobs/{job_id} with a malformed id (422),
    # and a 405 names in `Allow` the methods of one route of the path, not of all.
    checks.unsupported_method,
    checks.allow_header_conformance,
]


def short_waits(case: Case) -> None:
    """A claim's `wait` would hold the request up to 30 s each time: a tenth of a second
    takes the same long-poll path."""
    query = case.query or {}
    try:
        wait = float(query["wait"])
    except (KeyError, TypeError, ValueError):
        return  # absent, or not a number: the service refuses it, as it should
    if wait > 0.1:
        query["wait"] = 0.1


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
def test_the_servers_serve_these_documents(
    service: str, producer_url: str, worker_url: str
) -> None:
    base_url = producer_url if service == "producer" else worker_url
    served = httpx.get(f"{base_url}/openapi.json", timeout=30).json()

    assert served == DOCUMENTS[service]


def call_producer(case: Case, role: Role, producer_url: str, tokens: dict[Role, str]) -> None:
    headers = bearer(tokens[role])
    case.call_and_validate(
        base_url=producer_url, headers=headers, excluded_checks=PRODUCER_EXCLUDED
    )


def call_worker(case: Case, role: Role, worker_url: str, tokens: dict[Role, str]) -> None:
    short_waits(case)
    case.call_and_validate(base_url=worker_url, headers=bearer(tokens[role]), excluded_checks=LAX)


# Admin may call every route of the producer API.
@producer_schema.parametrize()
def test_producer_api_as_admin(case: Case, producer_url: str, tokens: dict[Role, str]) -> None:
    call_producer(case, Role.ADMIN, producer_url, tokens)


@producer_schema_refusing.parametrize()
@pytest.mark.parametrize("role", [Role.VIEWER, Role.PRODUCER, Role.OPERATOR, Role.RUNNER], ids=str)
def test_producer_api_as_the_other_roles(
    case: Case, role: Role, producer_url: str, tokens: dict[Role, str]
) -> None:
    call_producer(case, role, producer_url, tokens)


# Runners speak the protocol; readers see /workers and /stats and are refused the rest.
@worker_schema.parametrize()
def test_worker_service_as_a_runner(case: Case, worker_url: str, tokens: dict[Role, str]) -> None:
    call_worker(case, Role.RUNNER, worker_url, tokens)


@worker_schema_refusing.parametrize()
@pytest.mark.parametrize("role", [Role.VIEWER, Role.PRODUCER, Role.OPERATOR, Role.ADMIN], ids=str)
def test_worker_service_as_the_other_roles(
    case: Case, role: Role, worker_url: str, tokens: dict[Role, str]
) -> None:
    call_worker(case, role, worker_url, tokens)


async def test_a_runners_real_answers_match_the_document(
    api: httpx.AsyncClient, worker: httpx.AsyncClient, as_viewer: dict[str, str]
) -> None:
    """Generated ids are nobody's: here the successes a runner sees, on jobs that exist."""
    answers: list[tuple[str, str, httpx.Response]] = []

    async def call(method: str, template: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await worker.request(method, url, **kwargs)
        answers.append((method, template, response))
        return response

    await create_job(api, email_job())
    claimed = (await call("POST", "/process", "/process?worker_id=walker")).json()
    job_id, attempt = claimed["id"], claimed["attempts"]
    await call(
        "POST",
        "/workers/{worker_id}/heartbeat",
        "/workers/walker/heartbeat",
        json={"jobs": [job_id]},
    )
    await call(
        "POST",
        "/complete/{job_id}",
        f"/complete/{job_id}",
        json={"attempt": attempt, "result": {"ok": True}},
    )
    await call("POST", "/complete/{job_id}", f"/complete/{job_id}", json={"attempt": attempt + 1})
    await create_job(api, email_job())
    batch = (
        await call("POST", "/process", f"/process?worker_id=walker&limit={MAX_CLAIM_BATCH}")
    ).json()
    await call(
        "POST", "/fail/{job_id}", f"/fail/{batch['jobs'][0]['id']}", json={"error": "SMTP said 451"}
    )
    await call("POST", "/process", "/process?worker_id=walker&limit=1")  # nothing left: jobs: []
    await call("POST", "/process", "/process?worker_id=walker&wait=0.1")  # nothing: 204
    report = await create_job(api, report_job())
    claimed = (await call("POST", "/process", "/process?worker_id=walker&types=report")).json()
    assert claimed["id"] == report["id"]
    await call(
        "PUT",
        "/artifacts/{job_id}",
        f"/artifacts/{report['id']}?filename=summary.csv&attempt=1",
        content=b"day,completed\n",
        headers={"Content-Type": "text/csv"},
    )
    await call(
        "POST", "/complete", "/complete", json={"jobs": [{"id": report["id"], "attempt": 1}]}
    )
    await call(
        "GET",
        "/report-data/{report_type}",
        "/report-data/jobs_summary?start=2026-01-01&end=2026-12-31",
    )
    await call("GET", "/workers", "/workers", headers=as_viewer)
    await call("GET", "/stats", "/stats", headers=as_viewer)

    statuses = [response.status_code for _, _, response in answers]
    assert statuses == [200, 200, 200, 409, 200, 200, 200, 204, 200, 201, 200, 200, 200, 200]
    for method, template, response in answers:
        operation = worker_schema[template][method]
        assert str(response.status_code) in operation.definition.raw["responses"], template
        operation.validate_response(response)
