"""The TypeScript runner's outcomes, seen through the producer API: a custom type completed
end to end, thrown errors retried then failed with their message, NonRetryableError failing
at once, a type's timeout, a token refused; and the package's own stack test."""

import asyncio
import os
import signal
import subprocess
from typing import Any

import httpx
import pytest

from jobdeck_access.roles import Role
from tests.eventually import eventually
from tests.factories import change_controls, create_job, create_jobs
from tests.integration.runner.typescript.conftest import CLI, StartNodeRunner

pytestmark = pytest.mark.usefixtures("ts_types")


async def exit_code(process: subprocess.Popen[bytes], seconds: float = 15) -> int:
    return await asyncio.wait_for(asyncio.to_thread(process.wait), seconds)


async def finished(api: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    """The job (with its timeline) once it is completed or failed for good."""

    async def job() -> dict[str, Any]:
        answer: dict[str, Any] = (await api.get(f"/jobs/{job_id}")).json()
        return answer

    return await eventually(job, until=lambda job: job["status"] in ("completed", "failed"))


def kinds(job: dict[str, Any]) -> list[str]:
    return [event["kind"] for event in job["events"]]


async def test_a_node_runner_completes_jobs_of_the_custom_type_it_owns(
    start_node_runner: StartNodeRunner, api: httpx.AsyncClient
) -> None:
    jobs = await create_jobs(api, [{"type": "ts_echo", "payload": {"n": n}} for n in range(6)])

    runner = start_node_runner("--concurrency", "3", "--worker-id", "node-one")
    done = [await finished(api, job["id"]) for job in jobs]
    runner.send_signal(signal.SIGTERM)

    assert await exit_code(runner) == 0
    for n, job in enumerate(done):
        assert job["status"] == "completed"
        assert job["result"]["echoed"] == {"n": n}
        assert job["result"]["attempt"] == 1
        assert job["result"]["runtime"].startswith("node v")
        assert kinds(job) == ["created", "claimed", "completed"]
        assert {event["worker_id"] for event in job["events"][1:]} == {"node-one"}


async def test_a_thrown_error_is_retried_then_fails_with_its_message(
    start_node_runner: StartNodeRunner, api: httpx.AsyncClient
) -> None:
    job = await create_job(api, {"type": "ts_flaky", "payload": {}, "max_attempts": 2})

    runner = start_node_runner()
    failed = await finished(api, job["id"])
    runner.send_signal(signal.SIGTERM)

    assert failed["status"] == "failed"
    assert failed["error"] == "Error: flaky on attempt 2"
    assert kinds(failed) == ["created", "claimed", "retry_scheduled", "claimed", "failed"]
    assert await exit_code(runner) == 0


async def test_a_non_retryable_error_fails_the_job_at_once(
    start_node_runner: StartNodeRunner, api: httpx.AsyncClient
) -> None:
    job = await create_job(api, {"type": "ts_doomed", "payload": {"why": "no such bucket"}})

    runner = start_node_runner()
    failed = await finished(api, job["id"])
    runner.send_signal(signal.SIGTERM)

    assert (failed["status"], failed["attempts"], failed["max_attempts"]) == ("failed", 1, 3)
    assert failed["error"] == "cannot ever work: no such bucket"
    assert await exit_code(runner) == 0


async def test_a_job_past_its_types_timeout_fails_retryably(
    start_node_runner: StartNodeRunner, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "ts_slow", timeout_seconds=0.5)
    job = await create_job(api, {"type": "ts_slow", "payload": {"ms": 60_000}, "max_attempts": 2})

    runner = start_node_runner()
    failed = await finished(api, job["id"])
    runner.send_signal(signal.SIGTERM)

    assert failed["error"] == "timed out after 0.5 s"
    assert kinds(failed) == ["created", "claimed", "retry_scheduled", "claimed", "failed"]
    assert await exit_code(runner) == 0


async def test_a_runner_whose_token_is_refused_stops_naming_the_variable(
    start_node_runner: StartNodeRunner, tmp_path: Any
) -> None:
    runner = start_node_runner(jobdeck_token="not-a-token")

    assert await exit_code(runner) == 1
    log = (tmp_path / "node-runner-0.log").read_text()
    assert "Stopped: the worker service refused JOBDECK_TOKEN (401" in log
    assert "not-a-token" not in log  # the secret is never logged


def test_a_runner_without_a_token_refuses_to_start_naming_it() -> None:
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "WORKER_SERVICE_URL": "http://127.0.0.1:9"}
    finished = subprocess.run(
        ["node", str(CLI), "--handlers", "./handlers.mjs"], env=env, capture_output=True, timeout=30
    )

    assert finished.returncode == 2
    assert finished.stderr.decode().startswith("Not started: JOBDECK_TOKEN is not set")


# The package's own stack test (`npm run test:stack`), pointed at these services: a Runner
# inside a Node process, driven through the library rather than the command line.
def test_the_packages_stack_test_passes_against_the_real_services(
    runners_worker_url: str, producer_url: str, tokens: dict[Role, str]
) -> None:
    env = {
        **os.environ,
        "WORKER_SERVICE_URL": runners_worker_url,
        "PRODUCER_API_URL": producer_url,
        "JOBDECK_TOKEN": tokens[Role.RUNNER],
        "JOBDECK_ADMIN_TOKEN": tokens[Role.ADMIN],
    }
    finished = subprocess.run(
        ["node", "--test", "test/stack/"],
        cwd=CLI.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    assert "# pass 1\n" in finished.stdout
