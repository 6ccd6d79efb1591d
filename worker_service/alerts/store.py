"""The alert rules' reads and the record of alerts (queries.sql: alert_*).

Evaluating takes a transaction-scoped advisory lock first: with several worker services, one
evaluates at a time and the others skip that pass, and each rule's rate limit reads the
alerts table, so the next evaluator (in any service) sees what the last one recorded.
"""

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from worker_service.store import QUERIES


@dataclass(frozen=True)
class FailedJobs:
    type: str
    failed: int
    last_error: str | None


@dataclass(frozen=True)
class FailureRate:
    type: str
    finished: int
    failed: int


@dataclass(frozen=True)
class RunnerDown:
    worker_id: str
    last_heartbeat_at: datetime
    holding: int


@dataclass(frozen=True)
class NewAlert:
    rule: str
    subject: str
    text: str
    not_sent_because: str | None = None


@dataclass(frozen=True)
class UnsentAlert:
    id: int
    text: str


class RuleReads:
    """What the rules see, inside the evaluating transaction."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def jobs_failed(self, quiet_for: timedelta, first_window: timedelta) -> list[FailedJobs]:
        rows = await self._connection.fetch(QUERIES["alert_jobs_failed"], quiet_for, first_window)
        return [FailedJobs(row["type"], row["failed"], row["last_error"]) for row in rows]

    async def failure_rates(
        self, quiet_for: timedelta, window: timedelta, min_jobs: int, rate: float
    ) -> list[FailureRate]:
        rows = await self._connection.fetch(
            QUERIES["alert_failure_rates"], quiet_for, window, min_jobs, rate
        )
        return [FailureRate(row["type"], row["finished"], row["failed"]) for row in rows]

    async def runners_down(self, silent_for: timedelta) -> list[RunnerDown]:
        rows = await self._connection.fetch(QUERIES["alert_runners_down"], silent_for)
        return [
            RunnerDown(row["worker_id"], row["last_heartbeat_at"], row["holding"]) for row in rows
        ]

    async def record(self, alerts: Sequence[NewAlert]) -> None:
        if alerts:
            await self._connection.execute(
                QUERIES["alert_insert"],
                [alert.rule for alert in alerts],
                [alert.subject for alert in alerts],
                [alert.text for alert in alerts],
                [alert.not_sent_because for alert in alerts],
            )


class AlertStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @contextlib.asynccontextmanager
    async def evaluating(self) -> AsyncIterator[RuleReads | None]:
        """The rules' reads in one transaction holding the alert lock; None when another
        worker service holds it now."""
        async with self._pool.acquire() as connection, connection.transaction():
            if not await connection.fetchval(QUERIES["alert_lock"]):
                yield None
                return
            yield RuleReads(connection)

    @contextlib.asynccontextmanager
    async def unsent(self, limit: int) -> AsyncIterator["UnsentBatch"]:
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(QUERIES["alert_unsent"], limit)
            yield UnsentBatch(connection, [UnsentAlert(row["id"], row["text"]) for row in rows])


class UnsentBatch:
    def __init__(self, connection: asyncpg.Connection, alerts: list[UnsentAlert]) -> None:
        self._connection = connection
        self.alerts = alerts

    async def mark(self, alert_id: int, error: str | None) -> None:
        await self._connection.execute(QUERIES["alert_mark_sent"], alert_id, error)
