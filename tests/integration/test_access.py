"""Every route of both APIs, called with no token and with a token of each role: refused
(401, 403) or let through exactly as jobdeck_access's tables say. A route added to an app
must join its table, or the first test fails."""

from collections.abc import Mapping
from uuid import uuid4

import httpx
import pytest

from jobdeck_access.roles import PRODUCER_API, WORKER_SERVICE, Access, Role, Route
from jobdeck_runtime import swagger_ui
from tests.access import bearer
from tests.route_tables import producer_routes, worker_routes

# FastAPI serves these itself, outside its OpenAPI document.
FASTAPI_DOCUMENTS = {
    ("GET", path)
    for path in (swagger_ui.OPENAPI_PATH, swagger_ui.DOCS_PATH, *swagger_ui.ASSET_PATHS)
}

# Values for the templates' parameters: ids nobody has, so nothing real is touched.
PARAMETERS = {
    "job_id": str(uuid4()),
    "token_id": str(uuid4()),
    "worker_id": "access-walker",
    "report_type": "jobs_summary",
    "name": "no_such_type",
}

TABLES: dict[str, Mapping[Route, Access]] = {"producer": PRODUCER_API, "worker": WORKER_SERVICE}
CASES = [
    (service, method, template, access)
    for service, table in TABLES.items()
    for (method, template), access in sorted(table.items())
]


def test_every_route_of_both_apps_is_in_its_access_table() -> None:
    assert producer_routes() | FASTAPI_DOCUMENTS == set(PRODUCER_API)
    assert worker_routes() == set(WORKER_SERVICE)


def body_for(method: str, template: str) -> tuple[bytes | None, dict[str, str]]:
    """A body (and its type) the route can parse far enough to answer other than 401/403."""
    if method in ("GET", "DELETE"):
        return None, {}
    if template == "/artifacts/{job_id}":
        return b"day,completed\n", {"Content-Type": "text/csv"}
    return b"{}", {"Content-Type": "application/json"}


@pytest.mark.parametrize(("service", "method", "template", "access"), CASES)
@pytest.mark.parametrize("role", [None, *Role], ids=lambda role: str(role or "no-token"))
async def test_each_role_gets_exactly_what_the_table_allows(
    service: str,
    method: str,
    template: str,
    access: Access,
    role: Role | None,
    producer_url: str,
    worker_url: str,
    tokens: dict[Role, str],
) -> None:
    base_url = producer_url if service == "producer" else worker_url
    body, headers = body_for(method, template)
    if role is not None:
        headers |= bearer(tokens[role])
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.request(
            method, template.format(**PARAMETERS), content=body, headers=headers
        )

    if access is None:
        assert response.status_code == 200, response.text
    elif role is None:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
    elif role in access:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert f"role {role} may not {method} {template}" in response.json()["detail"]


async def test_unknown_expired_and_malformed_tokens_are_refused_alike(
    producer_url: str,
) -> None:
    async with httpx.AsyncClient(base_url=producer_url, timeout=30) as client:
        for authorization in (
            "Bearer jd_" + "A" * 43,  # well-formed, unknown
            "Bearer nonsense",
            "Basic YWRtaW46YWRtaW4=",
            "Bearer",
        ):
            response = await client.get("/jobs", headers={"Authorization": authorization})
            assert response.status_code == 401, authorization
            assert response.json() == {
                "detail": "a valid API token is needed: Authorization: Bearer <token>"
            }


async def test_a_path_no_route_serves_still_needs_a_token(
    producer_url: str, tokens: dict[Role, str]
) -> None:
    async with httpx.AsyncClient(base_url=producer_url, timeout=30) as client:
        anonymous = await client.get("/no-such-thing")
        known = await client.get("/no-such-thing", headers=bearer(tokens[Role.VIEWER]))

    assert anonymous.status_code == 401
    assert known.status_code == 404
