"""The dashboard app: `uvicorn frontend.main:app --port 3001`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from frontend.client import (
    ApiFailed,
    ApiUnavailable,
    Forbidden,
    InvalidRequest,
    NotFound,
    ProducerApi,
    TokenRefused,
    WorkerService,
)
from frontend.local_urls import current_page, requested_page
from frontend.require_session import REFUSED, RequireSession, send_to_login
from frontend.routes import (
    analytics,
    dashboard,
    jobs,
    maintenance,
    new_job,
    schedules,
    sign_in,
    types,
    workers,
)
from frontend.security import CrossSiteRequest, SecurityHeaders, same_origin_only
from frontend.session import Session, SessionCookies
from frontend.settings import ServingSettings, get_settings
from frontend.templating import is_htmx, render
from jobdeck_runtime import logs, request_ids
from jobdeck_runtime.request_ids import RequestIds

STATIC = Path(__file__).parent / "static"
VENDORED = ("htmx.min.js", "uPlot.iife.min.js", "uPlot.min.css")


def _require_vendored_assets() -> None:
    missing = [name for name in VENDORED if not (STATIC / "vendor" / name).is_file()]
    if missing:
        raise RuntimeError(
            f"frontend/static/vendor is missing {', '.join(missing)}; run `make install`."
        )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: ServingSettings = app.state.settings
    # A service that is down refuses at once or not at all: connecting gets a short leash.
    timeout = httpx.Timeout(settings.api_timeout_seconds, connect=2.0)
    # Each call carries the page's request id, so the API's lines about it can be found.
    hooks = {"request": [request_ids.forward]}
    async with (
        httpx.AsyncClient(
            base_url=str(settings.producer_api_url), timeout=timeout, event_hooks=hooks
        ) as api,
        httpx.AsyncClient(
            base_url=str(settings.worker_service_url), timeout=timeout, event_hooks=hooks
        ) as workers,
    ):
        app.state.api = ProducerApi(api)
        app.state.worker_service = WorkerService(workers)
        yield


def _retry_url(request: Request) -> str:
    """Where "try again" goes: this page, or for a failed post the page it was sent from;
    the overview when either would lead off this site."""
    page = requested_page(request) if request.method == "GET" else current_page(request)
    return page or "/"


def error_page(request: Request, status_code: int, heading: str, message: str) -> HTMLResponse:
    context: dict[str, Any] = {
        "status_code": status_code,
        "heading": heading,
        "message": message,
        "retry_url": _retry_url(request),
    }
    # An error replaces the whole page's content, whichever part asked.
    headers = {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"} if is_htmx(request) else None
    return render(request, "error.html", context, status_code, headers)


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(ApiUnavailable)
    async def _api_unavailable(request: Request, error: ApiUnavailable) -> HTMLResponse:
        message = f"The dashboard asked the producer API at {error.url}, and it {error.reason}."
        return error_page(request, 503, "The producer API is not answering", message)

    @app.exception_handler(ApiFailed)
    async def _api_failed(request: Request, error: ApiFailed) -> HTMLResponse:
        return error_page(request, 502, "The producer API had a problem", str(error))

    @app.exception_handler(InvalidRequest)
    async def _invalid(request: Request, error: InvalidRequest) -> HTMLResponse:
        return error_page(request, 400, "The producer API refused this request", str(error))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> HTMLResponse:
        detail = str(error)
        return error_page(request, 404, "Not found", f"{detail[:1].upper()}{detail[1:]}.")

    @app.exception_handler(TokenRefused)
    async def _token_refused(request: Request, error: TokenRefused) -> Response:
        # Revoked or expired since sign-in: this session is over.
        response = send_to_login(request, REFUSED)
        request.app.state.session_cookies.clear(response, request)
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden) -> HTMLResponse:
        session: Session | None = request.scope.get("state", {}).get("session")
        who = f"You are signed in as {session.name} ({session.role}). " if session else ""
        detail = str(error)
        message = (
            f"{who}{detail[:1].upper()}{detail[1:]}. An admin can give you a token whose role may."
        )
        return error_page(request, 403, "Your role may not do that", message)

    @app.exception_handler(CrossSiteRequest)
    async def _cross_site(request: Request, error: CrossSiteRequest) -> HTMLResponse:
        return error_page(request, 403, "Refused", str(CrossSiteRequest.__doc__))

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception) -> HTMLResponse:
        # Starlette still logs the traceback; the person gets a page, not the trace.
        message = "The dashboard failed to show this page. The details are in its log."
        return error_page(request, 500, "Something went wrong", message)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, error: HTTPException) -> HTMLResponse:
        heading = "Page not found" if error.status_code == 404 else "That did not work"
        return error_page(request, error.status_code, heading, str(error.detail))


def create_app(settings: ServingSettings | None = None) -> ASGIApp:
    logs.configure("frontend")
    _require_vendored_assets()
    settings = settings or get_settings()
    app = FastAPI(
        title="Jobdeck dashboard",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(same_origin_only)],
    )
    app.state.settings = settings
    app.state.session_cookies = cookies = SessionCookies(settings)
    # /jobs/new before /jobs/{job_id}, which would otherwise take "new" for an id.
    routers = (sign_in, dashboard, new_job, jobs, workers, types, schedules, maintenance, analytics)
    for module in routers:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_pages(app)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, str]:
        """The dashboard is up (200) even when the API is not; it says which."""
        api_ok = await request.app.state.api.is_healthy()
        return {"status": "ok", "producer_api": "ok" if api_ok else "unreachable"}

    # Outermost last: the Host it was asked for (DNS rebinding), the policy headers on every
    # answer, then a signed-in person for every page but the open ones.
    app.add_middleware(RequireSession, cookies=cookies)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    return RequestIds(app)


app = create_app()
