"""The producer API app: `uvicorn producer_api.main:app --port 8000`."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from jobdeck_db.migrations import ensure_migrated
from jobdeck_db.settings import database_url
from jobdeck_runtime.startup import StartupGuard
from producer_api.db import create_engine, is_unavailable
from producer_api.errors import (
    ArtifactNotFound,
    BatchTooLarge,
    IdempotencyConflict,
    JobError,
    JobNotFound,
    JobStateConflict,
)
from producer_api.middleware import BodySizeLimit, RequestMetrics
from producer_api.models import MAX_BATCH
from producer_api.routes import health, job_types, jobs, stats
from producer_api.settings import Settings, get_settings
from producer_api.store import JobStore

logger = logging.getLogger("producer_api")

DESCRIPTION = """
Create typed jobs (`email`, `report`, `notification`) and follow them through
`pending → processing → completed | failed`, or cancel and retry them.

* **Idempotency**: send `Idempotency-Key` with `POST /jobs`; a replay with the same body
  returns the first job (200), a different body with that key is refused (409).
* **Totals**: `GET /jobs` counts exactly up to `EXACT_COUNT_LIMIT` matches (10,000), and
  always when only `status`/`type` filter; beyond that `total` is PostgreSQL's estimate and
  `total_is_estimate` is true.
* **Errors** are JSON `{"detail": …}`; validation errors (422) list each field at fault.
"""

_STATUS_OF: dict[type[JobError], int] = {
    JobNotFound: 404,
    ArtifactNotFound: 404,
    JobStateConflict: 409,
    IdempotencyConflict: 409,
    BatchTooLarge: 413,
}


def _name_the_type_field(errors: Sequence[Any]) -> list[Any]:
    """pydantic reports an unknown or missing `type` at the job itself; point at the field."""
    return [
        {**error, "loc": (*error["loc"], "type")}
        if error["type"] in ("union_tag_invalid", "union_tag_not_found")
        else error
        for error in errors
    ]


def _oversized_batch(errors: Sequence[Any]) -> BatchTooLarge | None:
    """A batch over the limit is refused as too large (413), whatever else is wrong in it."""
    for error in errors:
        if error["type"] == "too_long" and tuple(error["loc"]) == ("body", "jobs"):
            return BatchTooLarge(error["ctx"]["actual_length"], MAX_BATCH)
    return None


async def _compact_stats_forever(store: JobStore, interval: float) -> None:
    """Fold the stats rollups now and then, so reading them stays a few-row sum."""
    while True:
        await asyncio.sleep(interval)
        try:
            await store.compact_stats()
        except Exception:  # a database blip must not end the loop; the next tick retries
            logger.warning("stats compaction failed; retrying later", exc_info=True)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(app.state.database_url, settings.db_pool_size)
    store = JobStore(engine, settings.exact_count_limit, settings.exact_count_timeout_ms)
    app.state.store = store
    compactor = asyncio.create_task(
        _compact_stats_forever(store, settings.stats_compact_interval_seconds)
    )
    try:
        yield
    finally:
        compactor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await compactor
        await engine.dispose()


def create_app(settings: Settings | None = None) -> Any:
    settings = settings or get_settings()
    app = FastAPI(
        title="Jobdeck producer API", version="0.1.0", description=DESCRIPTION, lifespan=_lifespan
    )
    app.state.settings = settings
    for router in (jobs.router, job_types.router, stats.router, health.router):
        app.include_router(router)

    @app.exception_handler(JobError)
    async def _job_error(request: Request, error: JobError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=_STATUS_OF[type(error)])

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        oversized = _oversized_batch(errors)
        if oversized is not None:
            return JSONResponse({"detail": str(oversized)}, 413)
        return JSONResponse({"detail": jsonable_encoder(_name_the_type_field(errors))}, 422)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OSError)
    async def _database_error(request: Request, error: Exception) -> JSONResponse:
        if not is_unavailable(error):
            raise error
        # The pool reconnects by itself once the database is back; the client may retry.
        logger.warning("database unavailable: %s", error)
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"}, status_code=503
        )

    async def check_database() -> None:
        app.state.database_url = database_url(settings.database_url)
        await ensure_migrated(app.state.database_url)

    guarded = StartupGuard(app, check_database)
    return RequestMetrics(BodySizeLimit(guarded, settings.max_body_bytes))


app = create_app()
