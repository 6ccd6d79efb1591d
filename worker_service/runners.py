"""Runners as the worker service knows them from their heartbeats, and how a status is told."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from job_contract.worker_api import RunnerStatus

# A runner silent for longer is neither listed nor kept: the registry would grow forever.
REMEMBERED_FOR = timedelta(days=1)


def runner_status(
    heartbeat_age_seconds: float, stopped: bool, holds_jobs: bool, down_after_seconds: float
) -> RunnerStatus:
    """Down once it said it stopped or went silent; else active while it holds jobs."""
    if stopped or heartbeat_age_seconds > down_after_seconds:
        return "down"
    return "active" if holds_jobs else "idle"


@dataclass(frozen=True, slots=True)
class RunnerSeen:
    """One runner of the registry, with the jobs it holds now."""

    worker_id: str
    status: RunnerStatus
    started_at: datetime
    last_heartbeat_at: datetime
    heartbeat_age_seconds: float
    jobs: list[UUID]
    processed: int
