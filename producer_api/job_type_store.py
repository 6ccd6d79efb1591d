"""JobTypeStore: the producer API's reads and writes of job types and their controls.

A built-in's payload schema and example come from job_contract's models (its row keeps no
schema); a custom type's schema is its row's.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from job_contract.job_types import JobTypeInfo, RateLimit
from job_contract.payloads import PAYLOAD_EXAMPLES, payload_json_schemas
from job_contract.statuses import JobType
from producer_api.queries import QUERIES

_BUILTIN_SCHEMAS = payload_json_schemas()


class JobTypeStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(self) -> list[JobTypeInfo]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(QUERIES["job_type_list"])).mappings().all()
        return [_info(row) for row in rows]


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
