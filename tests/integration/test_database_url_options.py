"""libpq's connection options in DATABASE_URL work for every service, whatever its driver."""

import httpx

from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import email_job
from tests.servers import uvicorn_server


def with_option(url: str, option: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{option}"


def test_sslmode_in_database_url_is_understood_by_every_service(
    database_url: str, tokens: dict[Role, str]
) -> None:
    # The test server has no TLS, so `disable` is the mode it accepts; what matters is that
    # each driver (SQLAlchemy's asyncpg and plain asyncpg) takes the libpq spelling.
    env = {"DATABASE_URL": with_option(database_url, "sslmode=disable")}

    with (
        uvicorn_server("producer_api.main:app", env) as producer,
        uvicorn_server("worker_service.main:app", env) as worker,
    ):
        created = httpx.post(
            f"{producer}/jobs", json=email_job(), headers=bearer(tokens[Role.PRODUCER]), timeout=10
        )
        health = httpx.get(f"{worker}/healthz", timeout=10)

    assert created.status_code == 201
    assert health.json()["database"] == "ok"
