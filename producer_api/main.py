"""The producer API app: `uvicorn producer_api.main:app --port 8000`."""

import json
import logging
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import Response
from starlette.types import ASGIApp

from job_contract import JobType
from job_contract.bounds import MAX_JOBS_PER_REQUEST
from jobdeck_access import roles
from jobdeck_access.middleware import protect
from jobdeck_access.openapi import document_access
from jobdeck_access.store import TokenStore, create_token_pool
from jobdeck_access.tokens import TokenNameTaken, TokenNotFound
from jobdeck_access.verifier import TokenVerifier
from jobdeck_db.migrations import ensure_migrated
from jobdeck_db.settings import database_url
from jobdeck_retention.store import RetentionStore, create_retention_pool
from jobdeck_runtime import logs, swagger_ui
from jobdeck_runtime.maintenance import MaintenanceSettings, running
from jobdeck_runtime.request_ids import RequestIds
from jobdeck_runtime.startup import StartupGuard
from producer_api.analytics import AnalyticsReader
from producer_api.analytics_compactor import AnalyticsCompactor
from producer_api.callback_records import CallbackRecords
from producer_api.db import create_engine, is_unavailable
from producer_api.errors import (
    ArtifactNotFound,
    BatchTooLarge,
    BuiltinJobType,
    IdempotencyConflict,
    JobError,
    JobNotFound,
    JobStateConflict,
    JobTypeInUse,
    JobTypeNotFound,
    JobTypeRetired,
    NothingToRedeliver,
    ScheduleNameTaken,
    ScheduleNotFound,
    ScheduleTypeGone,
    UnknownJobType,
)
from producer_api.job_counts import TotalCounter
from producer_api.job_type_catalog import JobTypeCatalog
from producer_api.job_type_store import JobTypeStore
from producer_api.middleware import RequestMetrics
from producer_api.routes import (
    analytics,
    callbacks,
    exports,
    health,
    job_types,
    jobs,
    maintenance,
    schedules,
    stats,
    tokens,
)
from producer_api.schedule_store import ScheduleStore
from producer_api.settings import Settings, get_settings
from producer_api.stats_compactor import StatsCompactor, StatsCompactorSettings
from producer_api.store import JobStore

logger = logging.getLogger("producer_api")

DESCRIPTION = f"""
Create typed jobs (the built-ins {", ".join(f"`{job_type}`" for job_type in JobType)}, or a custom
type registered with `PUT /job-types/{{name}}`) and follow them through
`pending → processing → completed | failed`, or cancel and retry them.

* **Idempotency**: send `Idempotency-Key` with `POST /jobs`; a replay with the same body
  returns the first job (200), a different body with that key is refused (409).
* **Totals**: `GET /jobs` counts exactly up to `EXACT_COUNT_LIMIT` matches
  ({Settings.model_fields["exact_count_limit"].default:,}), and always when only `status`/`type`
  filter; beyond that `total` is PostgreSQL's estimate and `total_is_estimate` is true.
* **Access**: every route but `/healthz`, `/metrics` and these docs needs
  `Authorization: Bearer <token>` (**Authorize** above); each operation says which roles may
  call it. No token, or an unknown, expired or revoked one: 401; a role that may not: 403.
* **Errors** are JSON `{{"detail": …}}`; validation errors (422) list each field at fault.
"""

_STATUS_OF: dict[type[JobError], int] = {
    JobNotFound: 404,
    ArtifactNotFound: 404,
    JobStateConflict: 409,
    NothingToRedeliver: 409,
    IdempotencyConflict: 409,
    BatchTooLarge: 413,
    JobTypeNotFound: 404,
    BuiltinJobType: 409,
    JobTypeInUse: 409,
    JobTypeRetired: 409,
    ScheduleNotFound: 404,
    ScheduleNameTaken: 409,
    ScheduleTypeGone: 409,
}


class _EchoResponse(JSONResponse):
    """A 422 that echoes what was refused, whatever it is: a lone surrogate (a JSON `\\ud800`
    escape) cannot be UTF-8, so every character past ASCII is escaped; NaN and Infinity are
    not JSON, so they are echoed as strings."""

    def render(self, content: Any) -> bytes:
        return json.dumps(_finite(content), separators=(",", ":")).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


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
            return BatchTooLarge(count=error["ctx"]["actual_length"], limit=MAX_JOBS_PER_REQUEST)
    return None


def _document_unreadable_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """FastAPI answers 400 by itself for a body it cannot read (bytes that are not UTF-8)."""
    unreadable = {
        "description": "The body could not be read",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorMessage"}}},
    }
    for operations in document["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].setdefault("400", unreadable)
    return document


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(app.state.database_url, settings.db_pool_size)
    counter = TotalCounter(settings.exact_count_limit, settings.exact_count_timeout_ms)
    store = JobStore(engine, counter)
    app.state.store, app.state.engine = store, engine
    app.state.callback_records = CallbackRecords(engine)
    app.state.analytics = AnalyticsReader(engine)
    app.state.job_types = JobTypeStore(engine)
    app.state.schedules = ScheduleStore(engine)
    app.state.catalog = JobTypeCatalog(engine, settings.job_types_refresh_seconds)
    token_pool = await create_token_pool(app.state.database_url)
    app.state.tokens = TokenStore(token_pool)
    retention_pool = await create_retention_pool(app.state.database_url)
    app.state.retention = RetentionStore(retention_pool)
    app.state.verifier = TokenVerifier(app.state.tokens, settings.token_cache_seconds)
    compactor = StatsCompactor(
        store, StatsCompactorSettings(interval_seconds=settings.stats_compact_interval_seconds)
    )
    analytics_compactor = AnalyticsCompactor(
        engine, MaintenanceSettings(interval_seconds=settings.stats_compact_interval_seconds)
    )
    try:
        async with running([compactor, analytics_compactor]):
            yield
    finally:
        await token_pool.close()
        await retention_pool.close()
        await engine.dispose()


def create_app(settings: Settings | None = None) -> ASGIApp:
    logs.configure("producer_api")
    settings = settings or get_settings()
    app = FastAPI(
        title="Jobdeck producer API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=_lifespan,
        # Swagger UI with files this API serves itself (FastAPI's own page loads a CDN's);
        # no ReDoc, whose script would come from a CDN too.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings

    async def docs(request: Request) -> Response:
        return swagger_ui.page(request, app.title)

    app.add_route(swagger_ui.DOCS_PATH, docs, include_in_schema=False)
    for path in swagger_ui.ASSET_PATHS:
        app.add_route(path, swagger_ui.asset, include_in_schema=False)
    for router in (
        jobs.router,
        callbacks.router,
        job_types.router,
        schedules.router,
        stats.router,
        maintenance.router,
        exports.router,
        analytics.router,
        tokens.router,
        health.router,
    ):
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = _document_unreadable_bodies(FastAPI.openapi(app))
            app.openapi_schema = document_access(document, roles.PRODUCER_API)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(JobError)
    async def _job_error(request: Request, error: JobError) -> JSONResponse:
        if isinstance(error, UnknownJobType):
            # Deleted between the check and the insert: the same 422 as a name never known.
            unknown = {"loc": list(error.loc), "msg": str(error), "type": "job_type_unknown"}
            return JSONResponse({"detail": [unknown]}, status_code=422)
        return JSONResponse({"detail": str(error)}, status_code=_STATUS_OF[type(error)])

    @app.exception_handler(TokenNameTaken)
    async def _name_taken(request: Request, error: TokenNameTaken) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @app.exception_handler(TokenNotFound)
    async def _no_token(request: Request, error: TokenNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        oversized = _oversized_batch(errors)
        if oversized is not None:
            return JSONResponse({"detail": str(oversized)}, 413)
        detail = jsonable_encoder(_name_the_type_field(errors))
        return _EchoResponse({"detail": detail}, 422)

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
    return RequestIds(
        RequestMetrics(
            protect(
                guarded,
                roles.PRODUCER_API,
                verifier=lambda: app.state.verifier,
                settings=settings,
            )
        )
    )


app = create_app()
