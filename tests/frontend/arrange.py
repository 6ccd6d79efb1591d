"""Arranging the world for dashboard tests: dashboards in front of the services under test,
addresses where nothing answers, and jobs moved along by the real worker service.

Jobs change state only through the two services, so the tests arrange exactly what a runner
would cause. The worker service hands out the most urgent, oldest claimable job of the types
asked for, never one named by id: `claim` checks it got the job it was given, and a test
arranges that it does (it claims a job right after creating it, or the only one of its type).
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx

from frontend.session import COOKIE, Session, SessionCookies
from frontend.settings import ServingSettings
from jobdeck_access.roles import Role
from tests.servers import free_port, uvicorn_server

RUNNER = "runner-test-1"
# The test dashboards sign their sessions with this (a test may start one with another).
SESSION_SECRET = "dashboard-tests-session-secret-0123456789"


def nothing_listens() -> str:
    """A loopback URL where no server answers (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}"


@contextmanager
def dashboard(producer_url: str, worker_url: str | None = None, **settings: str) -> Iterator[str]:
    """A dashboard process in front of these services (with no worker service unless given);
    `settings` are more of its environment variables. Yields its base URL."""
    env = {
        "PRODUCER_API_URL": producer_url,
        "WORKER_SERVICE_URL": worker_url or nothing_listens(),
        "SESSION_SECRET": SESSION_SECRET,
        **settings,
    }
    with uvicorn_server("frontend.main:app", env) as base_url:
        yield base_url


async def sign_in(client: httpx.AsyncClient, token: str) -> None:
    """Sign in through the form, as a person would; the client keeps the cookie."""
    response = await client.post("/login", data={"token": token})
    assert response.status_code == 303, f"sign-in refused: {response.status_code}"
    assert COOKIE in client.cookies


@asynccontextmanager
async def signed_in(base_url: str, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the dashboard at `base_url`, signed in with `token`."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await sign_in(client, token)
        yield client


def session_cookie(token: str, role: Role, name: str = "test-session") -> dict[str, str]:
    """A session cookie as the test dashboards sign it, without asking the producer API
    (for a dashboard whose API does not answer)."""
    settings = ServingSettings(_env_file=None, session_secret=SESSION_SECRET)  # type: ignore[call-arg]
    session = Session(token=token, name=name, role=role)
    return {COOKIE: SessionCookies(settings).encode(session)}


def email_form(**overrides: str) -> dict[str, str]:
    """The create form filled in for an e-mail job, as a browser posts it."""
    return {
        "type": "email",
        "payload.to": "ada@example.com",
        "payload.subject": "Welcome",
        "payload.body": "Hello Ada",
        "priority": "4",
        "max_attempts": "3",
        "scheduled_for": "",
        "idempotency_key": "",
        **overrides,
    }


async def claim(worker: httpx.AsyncClient, job: dict[str, Any], runner: str = RUNNER) -> None:
    """`runner` claims `job`, which must be the next claimable job of its type."""
    response = await worker.post("/process", params={"worker_id": runner, "types": job["type"]})
    assert response.status_code == 200, f"nothing to claim: {response.status_code}"
    claimed = response.json()["id"]
    assert claimed == job["id"], f"{runner} was handed {claimed}, not {job['id']}: arrange again"


async def complete(
    worker: httpx.AsyncClient, job: dict[str, Any], result: dict[str, Any] | None = None
) -> None:
    body = {"result": result or {"delivered": True}}
    response = await worker.post(f"/complete/{job['id']}", json=body)
    assert response.status_code == 200, response.text


async def fail(
    worker: httpx.AsyncClient, job: dict[str, Any], error: str = "SMTP server said no"
) -> None:
    """A failure not worth retrying: the job ends `failed` with the error."""
    body = {"error": error, "retryable": False}
    response = await worker.post(f"/fail/{job['id']}", json=body)
    assert response.status_code == 200, response.text


async def register_type(
    api: httpx.AsyncClient, name: str, schema: dict[str, Any], description: str = ""
) -> None:
    response = await api.put(
        f"/job-types/{name}", json={"schema": schema, "description": description}
    )
    assert response.status_code == 201, response.text


# A custom type with one of each kind of input the form builds.
RESIZE_IMAGE: dict[str, Any] = {
    "type": "object",
    "required": ["url", "width", "format"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "minLength": 1, "maxLength": 2000},
        "width": {"type": "integer", "minimum": 1, "maximum": 10000},
        "quality": {"type": "number", "minimum": 0, "maximum": 1},
        "format": {"enum": ["png", "jpeg", "webp"]},
        "sharpen": {"type": "boolean"},
        "taken_on": {"type": "string", "format": "date"},
        "crop": {
            "type": "object",
            "required": ["x", "y"],
            "additionalProperties": False,
            "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
