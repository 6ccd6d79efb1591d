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

from frontend.client import (
    ApiFailed,
    ApiUnavailable,
    InvalidRequest,
    NotFound,
    ProducerApi,
    WorkerService,
)
from frontend.routes import dashboard, jobs, new_job, workers
from frontend.security import CrossSiteRequest, SecurityHeaders, same_origin_only
from frontend.settings import Settings, get_settings
from frontend.templating import is_htmx, render

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
    settings: Settings = app.state.settings
    # A service that is down refuses at once or not at all: connecting gets a short leash.
    timeout = httpx.Timeout(settings.api_timeout_seconds, connect=2.0)
    async with (
        httpx.AsyncClient(base_url=str(settings.producer_api_url), timeout=timeout) as api,
        httpx.AsyncClient(base_url=str(settings.worker_service_url), timeout=timeout) as workers,
    ):
        app.state.api = ProducerApi(api)
        app.state.worker_service = WorkerService(workers)
        yield


def _retry_url(request: Request) -> str:
    """Where "try again" goes: this page, or for a failed post the page it was sent from."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    current = httpx.URL(request.headers.get("HX-Current-URL", "/"))
    return current.raw_path.decode() or "/"


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


def create_app(settings: Settings | None = None) -> FastAPI:
    _require_vendored_assets()
    app = FastAPI(
        title="Jobdeck dashboard",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(same_origin_only)],
    )
    app.state.settings = settings or get_settings()
    # /jobs/new before /jobs/{job_id}, which would otherwise take "new" for an id.
    for router in (dashboard.router, new_job.router, jobs.router, workers.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_pages(app)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, str]:
        """The dashboard is up (200) even when the API is not; it says which."""
        api_ok = await request.app.state.api.is_healthy()
        return {"status": "ok", "producer_api": "ok" if api_ok else "unreachable"}

    app.add_middleware(SecurityHeaders)
    return app


app = create_app()
