"""The outbox as the deliverer sees it: due deliveries, leased while they are tried, and the
record of each try (queries.sql: callback_claim, callback_record_tries). Neither holds a
transaction open across a network call."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from job_contract.callbacks import CallbackEvent, DeliveryState
from job_contract.jobs import public_fields
from job_contract.statuses import EventKind
from worker_service.store import QUERIES


@dataclass(frozen=True)
class DueDelivery:
    id: UUID
    event: CallbackEvent
    url: str
    tries: int  # before this one
    body: str | None  # as first sent; None before the first try
    queued_at: datetime
    job: dict[str, Any]  # its public fields


@dataclass(frozen=True)
class TryRecord:
    delivery_id: UUID
    state: DeliveryState
    retry_in: float | None  # seconds, while pending
    body: str
    duration_ms: float
    status_code: int | None
    error: str | None
    excerpt: str | None
    ended_as: EventKind | None  # the timeline event of a delivery that ended
    detail: str | None


_TRY_COLUMNS = (
    "delivery_id",
    "state",
    "retry_in",
    "body",
    "duration_ms",
    "status_code",
    "error",
    "excerpt",
    "ended_as",
    "detail",
)


class CallbackStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, limit: int, lease_seconds: float) -> list[DueDelivery]:
        """Up to `limit` due deliveries, not due again for anyone for `lease_seconds`."""
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(QUERIES["callback_claim"], limit, lease_seconds)
        return [_due(row) for row in rows]

    async def record(self, tries: Sequence[TryRecord]) -> None:
        columns = [[getattr(record, name) for record in tries] for name in _TRY_COLUMNS]
        async with self._pool.acquire() as connection:
            await connection.execute(QUERIES["callback_record_tries"], *columns)


def _due(row: asyncpg.Record) -> DueDelivery:
    return DueDelivery(
        id=row["delivery_id"],
        event=CallbackEvent(row["event"]),
        url=row["url"],
        tries=row["tries"],
        body=row["body"],
        queued_at=row["queued_at"],
        job=public_fields(row),
    )
