"""Helpers for the worker service's tests: the runner sweeper in-process, the service's
gauges read from /metrics, and job types steered through the producer API."""

from typing import Any

import httpx
import pytest

from tests.eventually import value_becomes
from tests.factories import change_controls
from worker_service.stale_runners import StaleRunnerSweeper
from worker_service.store import WorkerStore


@pytest.fixture
def sweeper(store: WorkerStore) -> StaleRunnerSweeper:
    return StaleRunnerSweeper(store)


async def gauge(worker: httpx.AsyncClient, name: str) -> float:
    """The value of an unlabelled gauge on the service's /metrics."""
    for line in (await worker.get("/metrics")).text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} on /metrics")


async def claims_waiting_become(worker: httpx.AsyncClient, count: int) -> None:
    """Until the service holds `count` long-polls waiting for a job. A claim counted there
    took its wake-up before its empty claim: a job created from now on wakes it."""

    async def claims_waiting() -> float:
        return await gauge(worker, "jobdeck_claims_waiting")

    await value_becomes(claims_waiting, count)


class TypeControls:
    """Steers job types as an operator does, through PATCH /job-types on the producer API (which
    keeps a rate limit's slots in step). Rate limits are given as their two columns."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self._api = api

    async def set(self, job_type: str, **controls: Any) -> None:
        if "rate_limit_jobs" in controls:
            jobs, seconds = controls.pop("rate_limit_jobs"), controls.pop("rate_limit_seconds")
            controls["rate_limit"] = {"jobs": jobs, "per_seconds": seconds} if jobs else None
        await change_controls(self._api, job_type, **controls)


@pytest.fixture
def type_controls(api: httpx.AsyncClient) -> TypeControls:
    """Controls set by a test; clean_db lifts them all before the next."""
    return TypeControls(api)
