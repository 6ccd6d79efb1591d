"""Helpers for the worker service's tests: the runner sweeper in-process, and the service's gauges
read from /metrics."""

import httpx
import pytest

from tests.eventually import value_becomes
from worker_service.stale_runners import StaleRunnerSweeper
from worker_service.store import WorkerStore


@pytest.fixture
def sweeper(store: WorkerStore) -> StaleRunnerSweeper:
    return StaleRunnerSweeper(store)


async def gauge(worker: httpx.AsyncClient, name: str) -> float | None:
    """The value of an unlabelled gauge on the service's /metrics; None while the service
    answers 503 (its database away for the moment, as right after its connections were
    killed): no reading yet, so a test waiting for a value asks again."""
    answer = await worker.get("/metrics")
    if answer.status_code == 503:
        return None
    assert answer.status_code == 200, answer.text
    for line in answer.text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} on /metrics")


async def claims_waiting_become(worker: httpx.AsyncClient, count: int) -> None:
    """Until the service holds `count` long-polls waiting for a job. A claim counted there
    took its wake-up before its empty claim: a job created from now on wakes it."""

    async def claims_waiting() -> float | None:
        return await gauge(worker, "jobdeck_claims_waiting")

    await value_becomes(claims_waiting, count)
