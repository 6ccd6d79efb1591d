"""ScheduleStore: the producer API's reads and writes of schedules, and "run now".

The fire times are computed here from the cron in its zone (jobdeck_schedules); firing itself
is the worker service's. Each write locks the schedule's row, so a change never interleaves
with a scheduler firing it.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from job_contract.bounds import DEFAULT_MAX_ATTEMPTS
from job_contract.jobs import public_fields
from job_contract.schedules import ScheduleLastJob, SchedulePublic
from jobdeck_schedules.cron import CronSchedule
from jobdeck_schedules.timeline import run_now_detail
from producer_api.errors import ScheduleNameTaken, ScheduleNotFound, ScheduleTypeGone
from producer_api.queries import QUERIES

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewSchedule:
    name: str
    times: CronSchedule
    job: dict[str, Any]
    enabled: bool


@dataclass(frozen=True)
class ScheduleEdit:
    """What a PATCH changes; None leaves a setting as it is."""

    cron: str | None = None
    timezone: str | None = None
    job: dict[str, Any] | None = None
    enabled: bool | None = None


class ScheduleStore:
    def __init__(self, engine: AsyncEngine, clock: Clock = _utc_now) -> None:
        self._engine = engine
        self._clock = clock

    async def list(self) -> list[SchedulePublic]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(QUERIES["schedule_list"], {"name": None})
            return [self._public(row) for row in rows.mappings()]

    async def get(self, name: str) -> SchedulePublic:
        async with self._engine.connect() as conn:
            return await self._get(conn, name)

    async def create(self, schedule: NewSchedule) -> SchedulePublic:
        params = {
            "name": schedule.name,
            "cron": schedule.times.cron,
            "timezone": schedule.times.timezone,
            "job": json.dumps(schedule.job),
            "enabled": schedule.enabled,
            "next_run_at": schedule.times.next_after(self._clock()),
        }
        async with self._engine.begin() as conn:
            if (await conn.execute(QUERIES["schedule_insert"], params)).first() is None:
                raise ScheduleNameTaken(name=schedule.name)
            return await self._get(conn, schedule.name)

    async def change(self, name: str, edit: ScheduleEdit) -> SchedulePublic:
        """Apply the edit under the row's lock. A new cron or zone, or enabling a disabled
        schedule, counts from now: the times it was off are not made up."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(QUERIES["schedule_lock"], {"name": name})).mappings().first()
            if row is None:
                raise ScheduleNotFound(name=name)
            times = CronSchedule(edit.cron or row["cron"], edit.timezone or row["timezone"])
            enabled = row["enabled"] if edit.enabled is None else edit.enabled
            recount = (times.cron, times.timezone) != (row["cron"], row["timezone"]) or (
                enabled and not row["enabled"]
            )
            params = {
                "name": name,
                "cron": times.cron,
                "timezone": times.timezone,
                "job": json.dumps(row["job"] if edit.job is None else edit.job),
                "enabled": enabled,
                "next_run_at": times.next_after(self._clock()) if recount else row["next_run_at"],
            }
            await conn.execute(QUERIES["schedule_update"], params)
            return await self._get(conn, name)

    async def delete(self, name: str) -> None:
        async with self._engine.begin() as conn:
            if (await conn.execute(QUERIES["schedule_delete"], {"name": name})).first() is None:
                raise ScheduleNotFound(name=name)

    async def run_now(self, name: str) -> dict[str, Any]:
        """Make the schedule's job now, whether or not it is enabled; the job created."""
        params = {
            "name": name,
            "detail": run_now_detail(name, self._clock()),
            "fallback_max_attempts": DEFAULT_MAX_ATTEMPTS,
        }
        async with self._engine.begin() as conn:
            row = (await conn.execute(QUERIES["schedule_job_run_now"], params)).mappings().first()
            if row is not None:
                return public_fields(row)
            schedule = await self._get(conn, name)  # raises ScheduleNotFound
        raise ScheduleTypeGone(name=name, job_type=schedule.job["type"])

    async def _get(self, conn: AsyncConnection, name: str) -> SchedulePublic:
        row = (await conn.execute(QUERIES["schedule_list"], {"name": name})).mappings().first()
        if row is None:
            raise ScheduleNotFound(name=name)
        return self._public(row)

    def _public(self, row: RowMapping) -> SchedulePublic:
        times = CronSchedule(row["cron"], row["timezone"])
        last_job = (
            ScheduleLastJob(
                id=row["last_job_id"],
                status=row["last_job_status"],
                created_at=row["last_job_created_at"],
            )
            if row["last_job_id"] is not None
            else None
        )
        return SchedulePublic(
            name=row["name"],
            cron=row["cron"],
            description=times.description(),
            timezone=row["timezone"],
            job=row["job"],
            enabled=row["enabled"],
            next_runs=times.next_runs(self._clock()) if row["enabled"] else [],
            last_job=last_job,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
