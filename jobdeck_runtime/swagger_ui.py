"""Swagger UI for an API's OpenAPI document, with its files served by the API itself: /docs works
offline and loads nothing from a CDN.

The files are Swagger UI's browser build as the PyPI package `fastapi-offline` ships it; only
its folder is looked up here (finding a package's spec does not import it, nor FastAPI).
"""

import importlib.util
import json
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"

# What the page loads, by name under /docs/, with its media type.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
ASSET_PATHS = tuple(f"{DOCS_PATH}/{name}" for name in ASSETS)


def _assets_folder() -> Path:
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Swagger UI's files are missing: pip install fastapi-offline")
    return Path(spec.submodule_search_locations[0]) / "static"


_FOLDER = _assets_folder()

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" type="image/png" href="{root}{docs}/favicon.png">
<link rel="stylesheet" href="{root}{docs}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{root}{docs}/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({{
  url: {openapi_url},
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
}});
</script>
</body>
</html>
"""


def page(request: Request, title: str) -> HTMLResponse:
    """The Swagger UI page, pointing at this service's own document and files."""
    root = escape(request.scope.get("root_path", ""))
    # json.dumps makes a JS string; "</" escaped so it cannot close the script element.
    openapi_url = json.dumps(root + OPENAPI_PATH).replace("</", "<\\/")
    html = _PAGE.format(title=escape(title), root=root, docs=DOCS_PATH, openapi_url=openapi_url)
    return HTMLResponse(html)


async def asset(request: Request) -> Response:
    """One of Swagger UI's files (the route's own path names which)."""
    name = request.url.path.rsplit("/", 1)[-1]
    return FileResponse(
        _FOLDER / name,
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )
