"""The routes each HTTP app really serves, as (METHOD, path template) pairs."""

import os
from typing import Any
from unittest.mock import patch

from fastapi import FastAPI

Routes = set[tuple[str, str]]


def _unwrap(app: Any) -> Any:
    """The application under the middleware and startup guards that wrap it."""
    while not hasattr(app, "routes"):
        app = app.app
    return app


def routes_of(app: Any) -> Routes:
    app = _unwrap(app)
    if isinstance(app, FastAPI):
        # FastAPI keeps included routers lazily; its OpenAPI schema lists every route in them.
        table = {
            (method.upper(), path)
            for path, operations in app.openapi()["paths"].items()
            for method in operations
        }
        return table
    return {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", None) or ()
        if method != "HEAD"
    }


# Imported when asked for: building the dashboard's app needs its vendored npm assets.


def producer_routes() -> Routes:
    import producer_api.main

    return routes_of(producer_api.main.app)


def worker_routes() -> Routes:
    import worker_service.main

    return routes_of(worker_service.main.app)


def frontend_routes() -> Routes:
    # Built in this process, which has no SESSION_SECRET: a local run makes up its own.
    with patch.dict(os.environ, {"ENVIRONMENT": "local"}):
        import frontend.main

    return routes_of(frontend.main.app)
