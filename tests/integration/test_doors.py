"""The doors of both APIs hold against what a browser can be made to send: cross-site state
changes (403), bodies that are not JSON (415), bodies over the limit (413), and a Host that is
not theirs (400, DNS rebinding). Each refusal changes nothing in the database. An origin
listed in CORS_ORIGINS is let through, its preflight answered."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from uuid import uuid4

import asyncpg
import httpx
import pytest

from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import email_job, insert_jobs
from tests.servers import uvicorn_server

DASHBOARD = "https://dash.example.com"  # the origin the configured services allow
SMALL_BODY_BYTES = 64 * 1024

# What a browser says of a request another site's page made it send.
CROSS_SITE = {
    "sec-fetch-site": {"Sec-Fetch-Site": "cross-site"},
    "foreign-origin": {"Origin": "https://evil.example"},
    "null-origin": {"Origin": "null"},  # a sandboxed frame or a file:// page
    "lookalike-origin": {"Origin": "https://dash.example.com.evil.example"},
}


@dataclass(frozen=True)
class Attempt:
    """A state-changing request, and how to tell it changed nothing."""

    method: str
    path: str
    body: bytes
    unchanged: Callable[[asyncpg.Connection], Awaitable[bool]]


async def _count(db: asyncpg.Connection, sql: str) -> int:
    count: int = await db.fetchval(sql)
    return count


async def _no_new_job(db: asyncpg.Connection) -> bool:
    return await _count(db, "SELECT count(*) FROM jobs") == 1  # the arranged one


async def _arranged_job_as_it_was(db: asyncpg.Connection) -> bool:
    row = await db.fetchrow("SELECT status, result, error FROM jobs")
    return row is not None and tuple(row) in {("pending", None, None), ("processing", None, None)}


async def _tokens_as_they_were(db: asyncpg.Connection) -> bool:
    return await _count(db, "SELECT count(*) FROM api_tokens WHERE name = 'intruder'") == 0


async def _no_runner_registered(db: asyncpg.Connection) -> bool:
    return await _count(db, "SELECT count(*) FROM workers") == 0


async def _no_artifact(db: asyncpg.Connection) -> bool:
    return await _count(db, "SELECT count(*) FROM job_artifacts") == 0


JOB = "{job}"  # filled with the arranged job's id

PRODUCER_ATTEMPTS = {
    "create": Attempt("POST", "/jobs", b'{"type": "email"}', _no_new_job),
    "cancel": Attempt("DELETE", f"/jobs/{JOB}", b"", _arranged_job_as_it_was),
    "bulk": Attempt(
        "POST",
        "/jobs/bulk",
        b'{"action": "cancel", "ids": ["' + JOB.encode() + b'"]}',
        _arranged_job_as_it_was,
    ),
    "token": Attempt(
        "POST", "/tokens", b'{"name": "intruder", "role": "admin"}', _tokens_as_they_were
    ),
}
WORKER_ATTEMPTS = {
    "claim": Attempt("POST", "/process", b"", _arranged_job_as_it_was),
    "complete": Attempt("POST", f"/complete/{JOB}", b'{"result": {}}', _arranged_job_as_it_was),
    "fail": Attempt("POST", f"/fail/{JOB}", b'{"error": "forged"}', _arranged_job_as_it_was),
    "heartbeat": Attempt("POST", "/workers/forged/heartbeat", b"{}", _no_runner_registered),
    "artifact": Attempt("PUT", f"/artifacts/{JOB}", b"a,b\n", _no_artifact),
}


# --- the services: as tests start them, and with CORS_ORIGINS and a small body limit ---------


@pytest.fixture(scope="module")
def configured(database_url: str) -> Iterator[dict[str, str]]:
    env = {
        "DATABASE_URL": database_url,
        "CORS_ORIGINS": DASHBOARD,
        "MAX_BODY_BYTES": str(SMALL_BODY_BYTES),
        "RESCUE_INTERVAL_SECONDS": "3600",
    }
    with (
        uvicorn_server("producer_api.main:app", env) as producer,
        uvicorn_server("worker_service.main:app", env) as worker,
    ):
        yield {"producer": producer, "worker": worker}


@pytest.fixture
async def clients(
    producer_url: str, worker_url: str, tokens: dict[Role, str]
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Each service as its most powerful caller calls it: the door, not the role, refuses."""
    async with (
        httpx.AsyncClient(base_url=producer_url, headers=bearer(tokens[Role.ADMIN])) as producer,
        httpx.AsyncClient(base_url=worker_url, headers=bearer(tokens[Role.RUNNER])) as worker,
    ):
        yield {"producer": producer, "worker": worker}


async def arranged_job(db: asyncpg.Connection, service: str) -> str:
    """A pending job (the producer's attempts act on it), processing for the worker's."""
    [job_id] = await insert_jobs(db, type="report")
    if service == "worker":
        await db.execute(
            "UPDATE jobs SET status = 'processing', attempts = 1, locked_by = 'runner-1',"
            " locked_until = now() + interval '1 min', claimed_at = now()"
        )
    return job_id


def each_attempt() -> list[tuple[str, str, Attempt]]:
    return [("producer", name, attempt) for name, attempt in PRODUCER_ATTEMPTS.items()] + [
        ("worker", name, attempt) for name, attempt in WORKER_ATTEMPTS.items()
    ]


def content_type_for(attempt: Attempt) -> dict[str, str]:
    return {
        "content-type": "text/csv" if attempt.path.startswith("/artifacts") else "application/json"
    }


# --- cross-site -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "name", "attempt"),
    each_attempt(),
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
@pytest.mark.parametrize("cross_site", CROSS_SITE.values(), ids=CROSS_SITE.keys())
async def test_a_cross_site_state_change_is_refused_and_changes_nothing(
    clients: dict[str, httpx.AsyncClient],
    db: asyncpg.Connection,
    service: str,
    name: str,
    attempt: Attempt,
    cross_site: dict[str, str],
) -> None:
    job_id = await arranged_job(db, service)

    response = await clients[service].request(
        attempt.method,
        attempt.path.replace(JOB, job_id),
        content=attempt.body.replace(JOB.encode(), job_id.encode()),
        headers={**content_type_for(attempt), **cross_site},
    )

    assert response.status_code == 403, response.text
    assert response.json() == {"detail": "cross-site requests may not change anything here"}
    assert await attempt.unchanged(db)


@pytest.mark.parametrize("service", ["producer", "worker"])
async def test_the_apis_own_origin_and_same_site_pages_may_change_things(
    clients: dict[str, httpx.AsyncClient], db: asyncpg.Connection, service: str
) -> None:
    client = clients[service]
    own_origin = str(client.base_url).rstrip("/")
    path, body = ("/jobs", email_job()) if service == "producer" else ("/workers/r/heartbeat", {})

    own = await client.post(path, json=body, headers={"Origin": own_origin})
    same_site = await client.post(path, json=body, headers={"Sec-Fetch-Site": "same-site"})

    assert (own.status_code, same_site.status_code) in {(201, 201), (200, 200)}, own.text


@pytest.mark.parametrize(("service", "path"), [("producer", "/jobs"), ("worker", "/workers")])
async def test_reading_from_another_site_is_not_refused_by_the_door(
    clients: dict[str, httpx.AsyncClient], as_viewer: dict[str, str], service: str, path: str
) -> None:
    # Reads change nothing; without CORS a page elsewhere cannot read the answer anyway.
    headers = {**as_viewer, **CROSS_SITE["foreign-origin"]}
    response = await clients[service].get(path, headers=headers)

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# --- bodies that are not JSON -----------------------------------------------------------------

NOT_JSON = {
    "text-plain": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=x",
    "none": None,
}


@pytest.mark.parametrize(
    ("service", "name", "attempt"),
    [case for case in each_attempt() if not case[2].path.startswith("/artifacts") and case[2].body],
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
@pytest.mark.parametrize("content_type", NOT_JSON.values(), ids=NOT_JSON.keys())
async def test_a_json_route_posted_anything_but_json_is_a_415_and_changes_nothing(
    clients: dict[str, httpx.AsyncClient],
    db: asyncpg.Connection,
    service: str,
    name: str,
    attempt: Attempt,
    content_type: str | None,
) -> None:
    job_id = await arranged_job(db, service)
    headers = {"content-type": content_type} if content_type else {}

    response = await clients[service].request(
        attempt.method,
        attempt.path.replace(JOB, job_id),
        content=attempt.body.replace(JOB.encode(), job_id.encode()),
        headers=headers,
    )

    assert response.status_code == 415, response.text
    assert "Content-Type: application/json" in response.json()["detail"]
    assert await attempt.unchanged(db)


# --- bodies over the limit --------------------------------------------------------------------


async def _chunks(size: int) -> AsyncIterator[bytes]:
    yield b'{"result": {"text": "'
    for _ in range(size // 4096):
        yield b"x" * 4096
    yield b'"}}'


@pytest.mark.parametrize("service", ["producer", "worker"])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_body_over_max_body_bytes_is_a_413_and_changes_nothing(
    configured: dict[str, str],
    tokens: dict[Role, str],
    db: asyncpg.Connection,
    service: str,
    declared: bool,
) -> None:
    job_id = await arranged_job(db, service)
    size = SMALL_BODY_BYTES + 4096
    body = b"".join([chunk async for chunk in _chunks(size)]) if declared else _chunks(size)
    role, path = (
        (Role.RUNNER, f"/complete/{job_id}") if service == "worker" else (Role.ADMIN, "/jobs")
    )

    async with httpx.AsyncClient(
        base_url=configured[service], headers=bearer(tokens[role])
    ) as client:
        response = await client.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        after = await client.get("/healthz")  # and the service answers the next request

    assert response.status_code == 413, response.text
    assert f"over the limit of {SMALL_BODY_BYTES} bytes" in response.json()["detail"]
    assert after.status_code == 200
    assert await _no_new_job(db)
    assert await _arranged_job_as_it_was(db)


# --- Host: DNS rebinding ----------------------------------------------------------------------


@pytest.mark.parametrize("service", ["producer", "worker"])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.2"])
async def test_a_host_not_in_allowed_hosts_is_a_400(
    clients: dict[str, httpx.AsyncClient], db: asyncpg.Connection, service: str, host: str
) -> None:
    client = clients[service]

    read = await client.get(
        "/jobs" if service == "producer" else "/workers", headers={"Host": host}
    )
    change = await client.post(
        "/jobs" if service == "producer" else "/workers/rebound/heartbeat",
        json=email_job() if service == "producer" else {},
        headers={"Host": host},
    )

    assert (read.status_code, change.status_code) == (400, 400)
    assert await _count(db, "SELECT count(*) FROM jobs") == 0
    assert await _no_runner_registered(db)


@pytest.mark.parametrize("service", ["producer", "worker"])
@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
async def test_probes_and_metrics_answer_whatever_the_host(
    clients: dict[str, httpx.AsyncClient], service: str, path: str
) -> None:
    # Monitoring asks a pod by its address; these say nothing a rebound page could use.
    response = await clients[service].get(path, headers={"Host": "10.1.2.3:8000"})

    assert response.status_code == 200


@pytest.mark.parametrize("service", ["producer", "worker"])
async def test_an_allowed_host_on_any_port_is_served(
    clients: dict[str, httpx.AsyncClient], service: str
) -> None:
    response = await clients[service].get("/healthz", headers={"Host": "localhost:1234"})

    assert response.status_code == 200


@pytest.mark.parametrize("service", ["producer", "worker"])
async def test_a_host_admitted_before_does_not_open_the_door_to_another(
    clients: dict[str, httpx.AsyncClient], service: str
) -> None:
    # Admitted Host values are remembered (KnownHostsOnly): only those, never a look-alike.
    client = clients[service]
    allowed = {"Host": "localhost:1234"}

    admitted = [await client.get("/openapi.json", headers=allowed) for _ in range(2)]
    refused = await client.get("/openapi.json", headers={"Host": "localhost.evil.example:1234"})

    assert [answer.status_code for answer in admitted] == [200, 200]
    assert refused.status_code == 400


# --- CORS_ORIGINS -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "path", "body"),
    [("producer", "/jobs", email_job()), ("worker", "/workers/dash/heartbeat", {})],
)
async def test_an_origin_in_cors_origins_gets_its_preflight_answered_and_may_change_things(
    configured: dict[str, str],
    tokens: dict[Role, str],
    service: str,
    path: str,
    body: dict[str, object],
) -> None:
    role = Role.ADMIN if service == "producer" else Role.RUNNER
    async with httpx.AsyncClient(base_url=configured[service]) as client:
        preflight = await client.options(
            path,
            headers={
                "Origin": DASHBOARD,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        actual = await client.post(
            path, json=body, headers={"Origin": DASHBOARD, **bearer(tokens[role])}
        )

    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == DASHBOARD
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert actual.status_code in (200, 201), actual.text
    assert actual.headers["access-control-allow-origin"] == DASHBOARD


@pytest.mark.parametrize("service", ["producer", "worker"])
async def test_an_origin_not_in_cors_origins_gets_no_preflight_and_no_change(
    configured: dict[str, str], tokens: dict[Role, str], db: asyncpg.Connection, service: str
) -> None:
    path = "/jobs" if service == "producer" else f"/workers/{uuid4().hex}/heartbeat"
    role = Role.ADMIN if service == "producer" else Role.RUNNER
    origin = {"Origin": "https://evil.example"}
    async with httpx.AsyncClient(base_url=configured[service]) as client:
        preflight = await client.options(
            path, headers={**origin, "Access-Control-Request-Method": "POST"}
        )
        actual = await client.post(
            path,
            json=email_job() if service == "producer" else {},
            headers={**origin, **bearer(tokens[role])},
        )

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert actual.status_code == 403
    assert await _count(db, "SELECT count(*) FROM jobs") == 0
    assert await _no_runner_registered(db)
