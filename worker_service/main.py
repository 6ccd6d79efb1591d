"""The worker service app: `uvicorn worker_service.main:app --port 3000`.

A lightweight Starlette app over asyncpg: runners claim jobs here and report how they went.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from pydantic_core import to_json
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from jobdeck_access import roles
from jobdeck_access.middleware import protect
from jobdeck_access.store import TokenStore, create_token_pool
from jobdeck_access.verifier import TokenVerifier
from jobdeck_db.availability import is_connection_problem
from jobdeck_db.migrations import ensure_migrated
from jobdeck_db.settings import database_url
from jobdeck_retention.cleaner import Cleaner
from jobdeck_retention.store import create_retention_pool
from jobdeck_runtime import logs
from jobdeck_runtime.maintenance import MaintenanceService, running
from jobdeck_runtime.request_ids import RequestIds
from jobdeck_runtime.startup import StartupGuard
from worker_service import routes
from worker_service.alerts.evaluator import AlertEvaluator
from worker_service.alerts.store import AlertStore
from worker_service.callbacks.deliverer import CallbackDeliverer, new_deliverer
from worker_service.claims import ClaimBatcher
from worker_service.errors import JobNotFound, OutcomeRefused, ReportNotFound
from worker_service.json_responses import error_response, json_response
from worker_service.limited_types import LimitedTypes
from worker_service.listener_check import ListenerCheck
from worker_service.openapi import openapi_document
from worker_service.parsing import RequestInvalid
from worker_service.rescuer import Rescuer
from worker_service.scheduler import Scheduler
from worker_service.settings import Settings, get_settings
from worker_service.stale_runners import StaleRunnerSweeper
from worker_service.store import WorkerStore, create_pool
from worker_service.wakeups import JobsPendingListener

logger = logging.getLogger("worker_service")


def _configure_logs() -> None:
    logs.configure("worker_service")
    # No access log line per request unless LOG_LEVEL=DEBUG: busy runners make thousands of
    # requests a second, the lines cost ~10 % of this service's CPU, and /metrics counts
    # claims, completions and failures instead. Warnings and errors are still logged.
    access = logging.getLogger("uvicorn.access")
    if not access.isEnabledFor(logging.DEBUG):
        access.setLevel(logging.WARNING)


def _answer(status_code: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A handler answering a domain error with `status_code` and the error's message."""

    async def handler(request: Request, error: Exception) -> Response:
        return error_response(status_code, str(error))

    return handler


async def _invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestInvalid)
    return json_response({"detail": error.errors}, 422)


async def _database_error(request: Request, error: Exception) -> Response:
    if is_connection_problem(error):
        # The pools reconnect by themselves once the database is back.
        logger.warning("database unavailable: %s", error)
        return error_response(503, "the database is unavailable; try again shortly")
    logger.exception("database error", exc_info=error)
    return error_response(500, "internal error")


def _deliverer(settings: Settings, pool: asyncpg.Pool, url: str) -> CallbackDeliverer | None:
    """The callback deliverer this service runs, unless CALLBACK_IN_SERVICE=false leaves
    callbacks to their own process (worker_service/callbacks/__main__.py)."""
    if not settings.callback_in_service:
        return None
    return new_deliverer(settings, pool, url)


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    url = app.state.database_url
    durable = await create_pool(url, settings.db_pool_size, durable=True)
    fast = await create_pool(url, settings.db_pool_size, durable=False)
    store = WorkerStore(
        durable,
        fast,
        settings.lease_seconds,
        settings.retry_base_delay_seconds,
        settings.retry_max_delay_seconds,
    )
    # Callbacks and alerts: a pool of their own, so their bursts never keep a runner's outcome
    # waiting for a connection.
    background = await create_pool(url, 2, durable=True)
    deliverer = _deliverer(settings, background, url)
    token_pool = await create_token_pool(url)
    retention_pool = await create_retention_pool(url)
    app.state.verifier = TokenVerifier(TokenStore(token_pool), settings.token_cache_seconds)
    listener = JobsPendingListener(url)
    limited = LimitedTypes(store, on_refreshed=listener.wake_all)
    listener.on_types_changed(limited.changed)
    await listener.start()  # listening before the first read: no change slips between
    await limited.refresh()
    app.state.store, app.state.listener = store, listener
    app.state.claims = ClaimBatcher(store, limited)
    try:
        services: list[MaintenanceService[Any, Any]] = [
            Rescuer(store, settings.rescuer()),
            StaleRunnerSweeper(store),
            Cleaner(retention_pool, settings, settings.cleaner()),
            *([deliverer] if deliverer is not None else []),
            AlertEvaluator(AlertStore(background), settings.alerts()),
            Scheduler(store, settings.scheduler()),
            ListenerCheck(listener),
        ]
        async with running(services):
            yield
    finally:
        await listener.stop()
        await limited.stop()
        if deliverer is not None:
            await deliverer.close()
        await asyncio.gather(
            durable.close(),
            fast.close(),
            background.close(),
            token_pool.close(),
            retention_pool.close(),
        )


def create_app(settings: Settings | None = None) -> ASGIApp:
    _configure_logs()
    settings = settings or get_settings()
    app = Starlette(
        routes=routes.routes,
        # The one place that says which HTTP status each refusal gets.
        exception_handlers={
            JobNotFound: _answer(404),
            ReportNotFound: _answer(404),
            OutcomeRefused: _answer(409),
            RequestInvalid: _invalid,
            asyncpg.PostgresError: _database_error,
            asyncpg.InterfaceError: _database_error,
            OSError: _database_error,
            TimeoutError: _database_error,
        },
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.openapi = to_json(openapi_document())

    async def check_database() -> None:
        app.state.database_url = database_url(settings.database_url)
        await ensure_migrated(app.state.database_url)

    return RequestIds(
        protect(
            StartupGuard(app, check_database),
            roles.WORKER_SERVICE,
            verifier=lambda: app.state.verifier,
            settings=settings,
            raw_body_paths=["/artifacts/"],  # a report's file, sent as CSV or PDF
        )
    )


app = create_app()
