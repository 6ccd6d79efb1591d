"""The worker service's OpenAPI document, as the running service serves it: every route is in
it, each with the contract's models (compared with their own JSON Schemas, so a model that
changes without the document, or a route documented with the wrong model, fails here), its
rules described, its examples valid; and Swagger UI at /docs loads nothing from another host."""

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from job_contract.bounds import MAX_CLAIM_BATCH, MAX_WAIT_SECONDS
from job_contract.job_types import JOB_TYPE_NAME_PATTERN
from job_contract.jobs import JobPublic
from job_contract.payloads import DateRange
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
    WorkerStats,
)
from jobdeck_access.roles import WORKER_SERVICE
from jobdeck_runtime import swagger_ui
from tests.route_tables import worker_routes

# Served beside the document, not described in it (as FastAPI leaves its own out).
DOCUMENTATION = {
    ("GET", swagger_ui.OPENAPI_PATH),
    ("GET", swagger_ui.DOCS_PATH),
    *(("GET", path) for path in swagger_ui.ASSET_PATHS),
}

# What each route reads and answers, written down here apart from the document's builder.
BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("POST", "/complete/{job_id}"): CompleteBody,
    ("POST", "/complete"): CompleteBatchBody,
    ("POST", "/fail/{job_id}"): FailBody,
    ("POST", "/workers/{worker_id}/heartbeat"): HeartbeatBody,
}
SUCCESSES: dict[tuple[str, str], tuple[int, Any]] = {
    ("POST", "/process"): (200, JobPublic | ClaimedJobs),
    ("POST", "/complete/{job_id}"): (200, JobPublic),
    ("POST", "/complete"): (200, CompleteBatchAnswer),
    ("POST", "/fail/{job_id}"): (200, JobPublic),
    ("POST", "/workers/{worker_id}/heartbeat"): (200, HeartbeatAnswer),
    ("PUT", "/artifacts/{job_id}"): (201, ArtifactStored),
    ("GET", "/report-data/{report_type}"): (200, ReportRows),
    ("GET", "/workers"): (200, list[RunnerPublic]),
    ("GET", "/stats"): (200, WorkerStats),
    ("GET", "/healthz"): (200, Health),
}
QUERIES: dict[tuple[str, str], type[BaseModel]] = {
    ("POST", "/process"): ProcessOptions,
    ("PUT", "/artifacts/{job_id}"): ArtifactOptions,
    ("GET", "/report-data/{report_type}"): DateRange,
}

# Query parameters sent comma-separated (`types=email,resize_image`), and the pattern of each
# item: any type name, since custom types are registered at run time.
LISTS = {"types": JOB_TYPE_NAME_PATTERN}


@pytest.fixture(scope="module")
def document(worker_url: str) -> dict[str, Any]:
    response = httpx.get(f"{worker_url}/openapi.json", timeout=30)  # no token: it is public
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    served: dict[str, Any] = response.json()
    return served


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with every `$ref` replaced by what it points at, wherever the definitions are
    kept: the document's components and a model's own `$defs` then compare equal."""
    if isinstance(schema, list):
        return [inline(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        return inline(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions) | rest
    return {key: inline(value, definitions) for key, value in schema.items() if key != "$defs"}


def own_schema(model: Any, mode: str) -> Any:
    """The model's JSON Schema as pydantic writes it for the model alone."""
    schema = TypeAdapter(model).json_schema(mode=mode)  # type: ignore[arg-type]
    return inline(schema, schema.get("$defs", {}))


def documented(document: dict[str, Any], schema: Any) -> Any:
    return inline(schema, document["components"]["schemas"])


def test_every_route_of_the_app_is_in_the_document(document: dict[str, Any]) -> None:
    assert set(operations(document)) == worker_routes() - DOCUMENTATION
    assert document["openapi"].startswith("3.1.")


def test_the_documentation_is_served_without_a_token() -> None:
    assert {WORKER_SERVICE[route] for route in DOCUMENTATION} == {None}


@pytest.mark.parametrize(("route", "model"), sorted(BODIES.items()), ids=str)
def test_each_body_is_its_model(
    document: dict[str, Any], route: tuple[str, str], model: type[BaseModel]
) -> None:
    body = operations(document)[route]["requestBody"]["content"]["application/json"]

    assert documented(document, body["schema"]) == own_schema(model, "validation")
    model.model_validate(body["example"])  # the example is one the service accepts


@pytest.mark.parametrize(("route", "success"), sorted(SUCCESSES.items()), ids=str)
def test_each_answer_is_its_model(
    document: dict[str, Any], route: tuple[str, str], success: tuple[int, Any]
) -> None:
    status, model = success
    answer = operations(document)[route]["responses"][str(status)]["content"]["application/json"]

    assert documented(document, answer["schema"]) == own_schema(model, "serialization")
    TypeAdapter(model).validate_python(answer["example"])


def test_refusals_are_documented_with_their_shapes(document: dict[str, Any]) -> None:
    error, invalid = (
        own_schema(ErrorMessage, "serialization"),
        own_schema(InvalidRequest, "serialization"),
    )
    for route, operation in operations(document).items():
        for status, answer in operation["responses"].items():
            if not status.startswith("4"):
                continue
            schema = documented(document, answer["content"]["application/json"]["schema"])
            assert schema == (invalid if status == "422" else error), (route, status)
    for route in BODIES:
        assert {"413", "415", "422"} <= set(operations(document)[route]["responses"]), route


@pytest.mark.parametrize(("route", "model"), sorted(QUERIES.items()), ids=str)
def test_query_parameters_are_their_models_fields(
    document: dict[str, Any], route: tuple[str, str], model: type[BaseModel]
) -> None:
    parameters = {
        parameter["name"]: parameter
        for parameter in operations(document)[route]["parameters"]
        if parameter["in"] == "query"
    }
    own = model.model_json_schema()

    assert list(parameters) == list(model.model_fields)
    for name, parameter in parameters.items():
        assert parameter["required"] == (name in own.get("required", ())), name
        if name in LISTS:  # a string the service splits: documented as the list it is
            assert (parameter["style"], parameter["explode"]) == ("form", False)
            assert parameter["schema"]["items"]["pattern"] == LISTS[name]
            assert "enum" not in parameter["schema"]["items"]
            continue
        property_schema = own["properties"][name]
        # An optional parameter is one left out, so the document drops pydantic's `null`.
        alternatives = [a for a in property_schema.get("anyOf", []) if a != {"type": "null"}]
        for alternative in alternatives:
            assert alternative.items() <= parameter["schema"].items(), name


def test_claim_options_keep_the_contracts_bounds(document: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p["schema"] for p in operations(document)[("POST", "/process")]["parameters"]
    }

    assert parameters["wait"]["maximum"] == MAX_WAIT_SECONDS
    assert parameters["limit"]["maximum"] == MAX_CLAIM_BATCH


def test_long_poll_and_fencing_are_described(document: dict[str, Any]) -> None:
    found = operations(document)
    claim = found[("POST", "/process")]
    assert "204" in claim["responses"]
    assert "content" not in claim["responses"]["204"]
    assert re.search(r"`wait`.*204", claim["description"], re.DOTALL)
    for route in (("POST", "/complete/{job_id}"), ("POST", "/fail/{job_id}")):
        assert "attempt" in found[route]["description"], route
        assert "409" in found[route]["responses"], route
    overview = document["info"]["description"].lower()
    assert "fencing" in overview
    assert "long-poll" in overview


def test_each_operation_says_who_may_call_it(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearer"]
    found = operations(document)

    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert found[("POST", "/process")]["security"] == [{"bearer": []}]
    assert found[("POST", "/process")]["description"].endswith("**Access**: runner.")
    assert found[("GET", "/workers")]["description"].endswith(
        "**Access**: viewer, producer, operator or admin."
    )
    assert found[("GET", "/healthz")]["security"] == []


async def test_swagger_ui_loads_only_files_the_service_serves(worker_url: str) -> None:
    async with httpx.AsyncClient(base_url=worker_url, timeout=30) as client:
        page = await client.get("/docs")
        linked = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        files = {url: await client.get(url) for url in linked}

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '"/openapi.json"' in page.text
    assert sorted(linked) == sorted(swagger_ui.ASSET_PATHS)
    for url, answer in files.items():
        assert urlsplit(urljoin(worker_url, url)).netloc == urlsplit(worker_url).netloc
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].startswith(swagger_ui.ASSETS[url.rsplit("/")[-1]])
