"""Logs as real processes write them with LOG_FORMAT=json: one JSON object a line, the request
id followed from the dashboard through the API, a runner's lines about a job carrying it, and
no payload, token or secret anywhere (planted, then looked for in every line)."""

import json
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from devstack import processes
from devstack.processes import free_port
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.eventually import eventually
from tests.factories import create_job, email_job
from tests.frontend.arrange import signed_in

PLANTED_SESSION_SECRET = "planted-session-secret-5d9c2e71b0a84f36"
PAYLOAD_SENTINEL = "payload-sentinel-c0ffee-91b2"
PLANTED_SMTP_PASSWORD = "planted-smtp-password-77e1a0"
# DEBUG: the most a service says (the worker service's access lines too).
JSON_LOGS = {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Stack:
    producer: str
    worker: str
    dashboard: str
    logs: Path


@pytest.fixture(scope="module")
def stack(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The three services, each logging JSON at DEBUG into its own file."""
    logs = tmp_path_factory.mktemp("logs")
    # Small pools: this module's services run beside the session's own.
    env = {"DATABASE_URL": database_url, "DB_POOL_SIZE": "2", **JSON_LOGS}
    with (
        processes.uvicorn_server("producer_api.main:app", env, logs / "producer_api.log") as (
            producer,
            _,
        ),
        processes.uvicorn_server("worker_service.main:app", env, logs / "worker_service.log") as (
            worker,
            _,
        ),
        processes.uvicorn_server(
            "frontend.main:app",
            {
                **JSON_LOGS,
                "PRODUCER_API_URL": producer,
                "WORKER_SERVICE_URL": worker,
                "SESSION_SECRET": PLANTED_SESSION_SECRET,
            },
            logs / "frontend.log",
        ) as (dashboard, _),
    ):
        yield Stack(producer, worker, dashboard, logs)


def read_lines(log: Path) -> list[dict[str, Any]]:
    """Every line of a log, each of which must be a JSON object with the fields every line has."""
    lines = []
    for text in log.read_text().splitlines():
        line = json.loads(text)
        assert {"time", "level", "service", "message"} <= line.keys(), text
        lines.append(line)
    return lines


async def test_one_request_id_follows_a_page_from_the_dashboard_through_the_api(
    stack: Stack, tokens: dict[Role, str]
) -> None:
    async with signed_in(stack.dashboard, tokens[Role.VIEWER]) as client:
        response = await client.get("/jobs?status=failed", headers={"X-Request-ID": "trace-7f3a.1"})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "trace-7f3a.1"

    async def lines_of_the_request() -> dict[str, list[str]]:
        return {
            service: [
                line["message"]
                for line in read_lines(stack.logs / f"{service}.log")
                if line.get("request_id") == "trace-7f3a.1"
            ]
            for service in ("frontend", "producer_api")
        }

    seen = await eventually(lines_of_the_request, lambda seen: all(seen.values()))
    assert any("GET /jobs?status=failed" in message for message in seen["frontend"])
    assert any(
        "GET /jobs?" in message and "status=failed" in message for message in seen["producer_api"]
    )
    services = {line["service"] for line in read_lines(stack.logs / "producer_api.log")}
    assert services == {"producer_api"}


@pytest.mark.parametrize("service", ["producer", "worker", "dashboard"])
async def test_every_answer_carries_a_request_id_and_a_malformed_one_is_replaced(
    stack: Stack, service: str
) -> None:
    async with httpx.AsyncClient(base_url=getattr(stack, service)) as client:
        kept = await client.get("/healthz", headers={"X-Request-ID": "abc-123:4"})
        too_long = await client.get("/healthz", headers={"X-Request-ID": "a" * 129})
        odd = await client.get("/healthz", headers={"X-Request-ID": "<script>"})
        refused = await client.get("/jobs" if service != "worker" else "/workers")

    assert kept.headers["X-Request-ID"] == "abc-123:4"
    for answer in (too_long, odd, refused):
        assert GENERATED_ID.fullmatch(answer.headers["X-Request-ID"]), answer.headers
    assert refused.status_code in (303, 401)


async def test_a_job_is_followed_by_its_id_across_services_and_nothing_secret_is_logged(
    stack: Stack, tokens: dict[Role, str], database_url: str, tmp_path: Path
) -> None:
    """An e-mail job whose SMTP server (with a planted password) is not there: the runner
    fails it, and the worker service's line for that report carries the job's request id."""
    smtp_url = f"smtp://jobdeck:{PLANTED_SMTP_PASSWORD}@127.0.0.1:{free_port()}"
    async with httpx.AsyncClient(
        base_url=stack.producer, headers=bearer(tokens[Role.ADMIN])
    ) as api:
        job = await create_job(api, email_job(payload={"body": PAYLOAD_SENTINEL}, max_attempts=1))
        runner_log = stack.logs / "runner.log"
        runner = processes.start_runner(
            ["--worker-id", "runner-logs-1"],
            {
                **JSON_LOGS,
                "WORKER_SERVICE_URL": stack.worker,
                "JOBDECK_TOKEN": tokens[Role.RUNNER],
                "SMTP_URL": smtp_url,
            },
            runner_log,
        )
        try:

            async def status() -> object:
                # A busy shared database may answer 503 for a moment: ask again.
                return (await api.get(f"/jobs/{job['id']}")).json().get("status")

            await eventually(status, lambda status: status == "failed")
        finally:
            runner.send_signal(signal.SIGTERM)
            runner.wait(timeout=30)
        # The payload shown on a page, and a sign-in with the token, as a person would.
        async with signed_in(stack.dashboard, tokens[Role.ADMIN]) as client:
            page = await client.get(f"/jobs/{job['id']}")
            assert PAYLOAD_SENTINEL in page.text

    planted = [PAYLOAD_SENTINEL, PLANTED_SESSION_SECRET, PLANTED_SMTP_PASSWORD, *tokens.values()]
    password = urlsplit(database_url).password
    planted += [password] if password else []
    for log in sorted(stack.logs.glob("*.log")):
        text = log.read_text()
        read_lines(log)  # every line JSON
        leaked = [secret[:12] for secret in planted if secret in text]
        assert not leaked, f"{log.name} logs {leaked}"

    about_the_job = [line for line in read_lines(runner_log) if line.get("job_id") == job["id"]]
    assert any("failed" in line["message"] for line in about_the_job), about_the_job
    for line in about_the_job:
        assert (line["type"], line["attempt"], line["worker_id"]) == ("email", 1, "runner-logs-1")
    reported = [
        line["message"]
        for line in read_lines(stack.logs / "worker_service.log")
        if line.get("request_id") == f"{job['id']}.1"
    ]
    assert any(f"POST /fail/{job['id']}" in message for message in reported), reported
    # `grep <job id>` finds it in every service's log.
    for service in ("runner", "worker_service", "producer_api", "frontend"):
        assert job["id"] in (stack.logs / f"{service}.log").read_text(), service
