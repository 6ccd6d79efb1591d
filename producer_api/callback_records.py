"""What the producer API reads and does about callbacks and alerts: a job's deliveries, a
redelivery, the last alerts. The worker service sends them; this only lists and queues."""

from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from job_contract.callbacks import TOLD_STATUSES, DeliveryPublic, webhook_id
from producer_api.errors import JobNotFound, NothingToRedeliver
from producer_api.queries import QUERIES


class CallbackRecords:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def deliveries(self, job_id: UUID) -> list[DeliveryPublic]:
        """The job's deliveries, newest first; JobNotFound when there is no such job."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(QUERIES["delivery_list"], {"id": job_id})).mappings().all()
            if not rows:
                await _require_job(conn, job_id)
        return [
            DeliveryPublic.model_validate({**row, "webhook_id": webhook_id(row["id"])})
            for row in rows
        ]

    async def redeliver(self, job_id: UUID) -> DeliveryPublic:
        """Queue the job's outcome again (a new delivery); say why not when it cannot be."""
        async with self._engine.begin() as conn:
            queued = (await conn.execute(QUERIES["delivery_requeue"], {"id": job_id})).scalar()
            if queued is None:
                job = await _require_job(conn, job_id)
                raise NothingToRedeliver(job_id=job_id, why=_why_not(job))
        delivery = next(d for d in await self.deliveries(job_id) if d.id == queued)
        return delivery

    async def recent_alerts(self, limit: int) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(QUERIES["alert_list_recent"], {"limit": limit})
            return [dict(row) for row in rows.mappings()]


async def _require_job(conn: AsyncConnection, job_id: UUID) -> RowMapping:
    job = (await conn.execute(QUERIES["job_get"], {"id": job_id})).mappings().first()
    if job is None:
        raise JobNotFound(job_id=job_id)
    return job


def _why_not(job: RowMapping) -> str:
    if job["callback_url"] is None:
        return "it has no callback_url"
    if job["status"] not in TOLD_STATUSES:
        return f"it is {job['status']}; only a completed or failed job's outcome is sent"
    return "it finished before it had a callback"
