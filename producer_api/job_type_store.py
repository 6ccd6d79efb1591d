"""JobTypeStore: the producer API's reads and writes of job types and their controls.

A built-in's payload schema and example come from job_contract's models (its row keeps no
schema); a custom type's schema is its row's. Each write locks the type's row first, so
concurrent registrations, changes and deletions of one type queue up instead of failing.
"""

import json
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from job_contract.job_types import (
    JobTypeControlsChange,
    JobTypeInfo,
    JobTypeRegistration,
    RateLimit,
)
from job_contract.payloads import PAYLOAD_EXAMPLES, payload_json_schemas
from job_contract.statuses import JobType
from producer_api.errors import BuiltinJobType, JobTypeInUse, JobTypeNotFound
from producer_api.queries import QUERIES

_BUILTIN_SCHEMAS = payload_json_schemas()
_CONTROLS = tuple(JobTypeControlsChange.model_fields)


class JobTypeStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(self) -> list[JobTypeInfo]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(QUERIES["job_type_list"], {"name": None})
            return [_info(row) for row in rows.mappings()]

    async def get(self, name: str) -> JobTypeInfo:
        async with self._engine.connect() as conn:
            return await _get(conn, name)

    async def register(
        self, name: str, registration: JobTypeRegistration
    ) -> tuple[JobTypeInfo, bool]:
        """Register a custom type or replace its schema and description; True when it is new
        (never registered, or deleted since). The schema was checked by the caller."""
        params = {
            "name": name,
            # Stored as sent (a json column): its properties keep their order.
            "schema": json.dumps(registration.payload_schema),
            "description": registration.description,
        }
        async with self._engine.begin() as conn:
            existing = await _lock(conn, name)
            if existing is not None and existing["builtin"]:
                raise BuiltinJobType(name=name, action="registered again")
            inserted = (await conn.execute(QUERIES["job_type_upsert"], params)).scalar_one()
            created = inserted if existing is None else existing["retired_at"] is not None
            return await _get(conn, name), created

    async def change_controls(self, name: str, change: JobTypeControlsChange) -> JobTypeInfo:
        """Change the controls the request sent; a rate limit's slots change with it."""
        sent = change.model_fields_set
        rate_limit = change.rate_limit
        params: dict[str, Any] = {
            "name": name,
            **{f"set_{control}": control in sent for control in _CONTROLS},
            "paused": change.paused,
            "concurrency": change.concurrency,
            "key_concurrency": change.key_concurrency,
            "rate_limit_jobs": rate_limit.jobs if rate_limit else None,
            "rate_limit_seconds": rate_limit.per_seconds if rate_limit else None,
            "timeout_seconds": change.timeout_seconds,
            "default_max_attempts": change.default_max_attempts,
        }
        async with self._engine.begin() as conn:
            await conn.execute(QUERIES["job_type_claim_lock"], {"name": name})
            updated = (await conn.execute(QUERIES["job_type_controls_update"], params)).first()
            if updated is None:
                raise JobTypeNotFound(name=name)
            if "rate_limit" in sent:
                slots = {"type": name, "jobs": rate_limit.jobs if rate_limit else 0}
                await _rebuild_rate_slots(conn, slots)
            return await _get(conn, name)

    async def retire(self, name: str) -> None:
        """Delete a custom type with no pending or processing jobs. Its row stays, retired, for
        the finished jobs that name it."""
        async with self._engine.begin() as conn:
            existing = await _lock(conn, name)
            if existing is None or existing["retired_at"] is not None:
                raise JobTypeNotFound(name=name)
            if existing["builtin"]:
                raise BuiltinJobType(name=name, action="deleted")
            in_flight = (
                (await conn.execute(QUERIES["job_type_jobs_in_flight"], {"name": name}))
                .mappings()
                .one()
            )
            if in_flight["pending"] or in_flight["processing"]:
                raise JobTypeInUse(name=name, **in_flight)
            await conn.execute(QUERIES["job_type_retire"], {"name": name})
            await _rebuild_rate_slots(conn, {"type": name, "jobs": 0})


async def _rebuild_rate_slots(conn: AsyncConnection, slots: dict[str, Any]) -> None:
    """One slot per claim the type's rate limit allows in its window, as a ring from slot 0."""
    await conn.execute(QUERIES["job_type_rate_slots_rebuild"], slots)
    await conn.execute(QUERIES["job_type_rate_cursor_reset"], slots)


async def _lock(conn: AsyncConnection, name: str) -> RowMapping | None:
    return (await conn.execute(QUERIES["job_type_lock"], {"name": name})).mappings().first()


async def _get(conn: AsyncConnection, name: str) -> JobTypeInfo:
    row = (await conn.execute(QUERIES["job_type_list"], {"name": name})).mappings().first()
    if row is None:
        raise JobTypeNotFound(name=name)
    return _info(row)


def _info(row: Any) -> JobTypeInfo:
    builtin = JobType(row["name"]) if row["builtin"] else None
    rate_limit = (
        RateLimit(jobs=row["rate_limit_jobs"], per_seconds=row["rate_limit_seconds"])
        if row["rate_limit_jobs"] is not None
        else None
    )
    return JobTypeInfo(
        name=row["name"],
        builtin=row["builtin"],
        payload_schema=_BUILTIN_SCHEMAS[builtin] if builtin else row["payload_schema"],
        description=row["description"],
        example=PAYLOAD_EXAMPLES[builtin] if builtin else None,
        paused=row["paused"],
        concurrency=row["concurrency"],
        key_concurrency=row["key_concurrency"],
        rate_limit=rate_limit,
        timeout_seconds=row["timeout_seconds"],
        default_max_attempts=row["default_max_attempts"],
        pending=row["pending"],
        processing=row["processing"],
        updated_at=row["updated_at"],
    )
