"""The job types POST /jobs accepts, cached in the process: each custom type's schema compiled
once, each type's default max_attempts.

Read again when older than JOB_TYPES_REFRESH_SECONDS (another replica may have changed a type),
at once after this process changed one, and when a job names a type the cache does not know
(it may have just been registered elsewhere). The insert itself checks the type is still
registered, so a stale cache can delay a type's arrival but never let a deleted one through.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import jsonschema_rs
from sqlalchemy.ext.asyncio import AsyncEngine

from job_contract.statuses import JobType
from producer_api.payload_schemas import SchemaRefused, compile_schema
from producer_api.queries import QUERIES

logger = logging.getLogger("producer_api")

# A miss reads the table again at most this often: a client sending unknown names cannot turn
# every request into a catalog read.
_MISS_REFRESH_SECONDS = 0.2


@dataclass(frozen=True)
class CatalogType:
    name: str
    builtin: JobType | None
    # A custom type's compiled schema (None for a built-in, which pydantic validates).
    validator: jsonschema_rs.Validator | None
    default_max_attempts: int | None


class JobTypeCatalog:
    def __init__(
        self,
        engine: AsyncEngine,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._types: dict[str, CatalogType] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()
        self._changes = 0  # how many times this process changed a type
        # Compiled validators by schema text: a refresh recompiles only what changed.
        self._compiled: dict[str, jsonschema_rs.Validator] = {}

    async def get(self, name: str) -> CatalogType | None:
        """The registered type of that name, or None."""
        if self._age() >= self._refresh_seconds:
            await self.refresh()
        found = self._types.get(name)
        if found is None and self._age() >= _MISS_REFRESH_SECONDS:
            await self.refresh()
            found = self._types.get(name)
        return found

    async def names(self) -> list[str]:
        if self._age() >= self._refresh_seconds:
            await self.refresh()
        return list(self._types)

    def invalidate(self) -> None:
        """This process changed a type: the next lookup reads the table again."""
        self._changes += 1
        self._loaded_at = None

    async def refresh(self) -> None:
        async with self._lock:
            started, changes = self._clock(), self._changes
            async with self._engine.connect() as conn:
                rows = (await conn.execute(QUERIES["job_type_catalog"])).mappings().all()
            compiled: dict[str, jsonschema_rs.Validator] = {}
            types: dict[str, CatalogType] = {}
            for row in rows:
                validator = None
                if not row["builtin"]:
                    text = row["payload_schema"]
                    validator = self._compiled.get(text) or _compile_stored(row["name"], text)
                    if validator is None:
                        continue
                    compiled[text] = validator
                types[row["name"]] = CatalogType(
                    name=row["name"],
                    builtin=JobType(row["name"]) if row["builtin"] else None,
                    validator=validator,
                    default_max_attempts=row["default_max_attempts"],
                )
            self._types, self._compiled = types, compiled
            # As old as the read's start; and stale at once if this process changed a type
            # meanwhile (the read may have missed it).
            self._loaded_at = started if changes == self._changes else None

    def _age(self) -> float:
        return float("inf") if self._loaded_at is None else self._clock() - self._loaded_at


def _compile_stored(name: str, text: str) -> jsonschema_rs.Validator | None:
    """A stored schema was valid when registered; should a newer validator refuse it, the type
    takes no jobs until it is registered again, and the log says why."""
    try:
        return compile_schema(json.loads(text))
    except SchemaRefused as refused:
        logger.error("job type %s: its stored schema no longer compiles: %s", name, refused)
        return None
