"""Runner.execute, the seam between a claimed job and its handler: which handler runs, what it
is given, and the outcome of a handler that fails, hangs past its type's timeout, or is missing.

The runner's client is real but never called: nothing here reports to a worker service (the
integration tests under tests/integration/runner/ run whole runner processes).
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest

from job_contract.worker_api import ClaimedJob, CompletedJob
from worker_service.runner.client import WorkerServiceClient
from worker_service.runner.context import JobContext
from worker_service.runner.handlers import Handler
from worker_service.runner.loop import JobFailed, Runner
from worker_service.runner.registry import HandlerRegistry, Registration
from worker_service.runner.settings import RunnerSettings

SETTINGS = RunnerSettings(
    jobdeck_token="jd_unit-tests-never-call-the-service",
    simulated_failure_rate=0,
    simulated_duration_ms=0,
)


@pytest.fixture
async def client() -> AsyncIterator[WorkerServiceClient]:
    client = WorkerServiceClient("http://127.0.0.1:9", "unit-runner", "jd_unused")
    yield client
    await client.close()


def runner_with(
    client: WorkerServiceClient, handle: Handler, default_timeout: float | None = None
) -> Runner:
    registry = HandlerRegistry({"resize_image": Registration(handle, default_timeout, "tests")})
    return Runner(client, SETTINGS, registry)


def claimed(job_type: str = "resize_image", timeout_seconds: float | None = None) -> ClaimedJob:
    return ClaimedJob(
        id=uuid4(),
        type=job_type,
        attempts=2,
        payload={"source": "/tmp/cat.png", "width": 20},
        timeout_seconds=timeout_seconds,
    )


class Hangs:
    """A handler that never finishes by itself, and says whether it was cancelled."""

    def __init__(self) -> None:
        self.cancelled = False

    async def __call__(self, job: JobContext) -> dict[str, Any]:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return {}


async def test_a_custom_types_handler_gets_its_payload_and_its_result_is_the_jobs(
    client: WorkerServiceClient,
) -> None:
    seen: list[JobContext] = []

    async def resize(job: JobContext) -> dict[str, Any]:
        seen.append(job)
        return {"resized": True}

    job = claimed()
    outcome = await runner_with(client, resize).execute(job)

    assert outcome == CompletedJob(id=job.id, attempt=2, result={"resized": True})
    [context] = seen
    assert (context.id, context.type, context.attempt) == (job.id, "resize_image", 2)
    assert context.payload == {"source": "/tmp/cat.png", "width": 20}


async def test_a_handler_running_past_its_types_timeout_is_cancelled_and_retried(
    client: WorkerServiceClient,
) -> None:
    hangs = Hangs()
    started = time.monotonic()

    outcome = await runner_with(client, hangs).execute(claimed(timeout_seconds=0.2))

    assert outcome == JobFailed("timed out after 0.2 s", retryable=True)
    assert hangs.cancelled
    assert time.monotonic() - started < 5


async def test_the_types_timeout_wins_over_the_handlers_default(
    client: WorkerServiceClient,
) -> None:
    runner = runner_with(client, Hangs(), default_timeout=3600)
    assert await runner.execute(claimed(timeout_seconds=0.1)) == JobFailed("timed out after 0.1 s")


async def test_without_a_types_timeout_the_handlers_default_holds(
    client: WorkerServiceClient,
) -> None:
    runner = runner_with(client, Hangs(), default_timeout=0.1)
    assert await runner.execute(claimed(timeout_seconds=None)) == JobFailed("timed out after 0.1 s")


async def test_a_handlers_own_timeout_is_not_mistaken_for_the_types(
    client: WorkerServiceClient,
) -> None:
    async def slow_server(job: JobContext) -> dict[str, Any]:
        raise TimeoutError("the image server did not answer")

    outcome = await runner_with(client, slow_server).execute(claimed(timeout_seconds=60))

    assert outcome == JobFailed("TimeoutError: the image server did not answer", retryable=True)


async def test_a_type_without_a_handler_fails_for_good(client: WorkerServiceClient) -> None:
    outcome = await runner_with(client, Hangs()).execute(claimed("sync_crm"))

    assert isinstance(outcome, JobFailed)
    assert outcome.error.startswith("no handler for type sync_crm on this runner")
    assert outcome.retryable is False
