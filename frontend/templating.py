"""Rendering pages: the one place that decides between a full page and an htmx fragment.

A direct visit (or htmx restoring history after a cache miss) gets the whole page. An htmx
request gets the page template's block named after the element it will swap, given in the
HX-Target header (dashes read as underscores), else the `main` block with the page's title.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2_fragments import render_block
from markupsafe import Markup

from frontend.formatting import FILTERS
from frontend.permissions import Permissions
from frontend.session import Session

TEMPLATES = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(FILTERS)


def document_title(page_title: str) -> Markup:
    return Markup("{} · Jobdeck").format(page_title) if page_title else Markup("Jobdeck")


environment.globals["document_title"] = document_title
# Blocks rendered on their own do not see a template's top-level imports, so the macros
# are a global: `ui.badge(...)` works in every block.
environment.globals["ui"] = environment.get_template("macros.html").module

# Caches must not hand a fragment to a full-page visit, one fragment for another, or one
# person's page (what their role may do) to another.
VARY = "HX-Request, HX-Target, HX-History-Restore-Request, Cookie"


def is_htmx(request: Request) -> bool:
    """An htmx request that will swap part of the page (a history restore wants it all)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    )


def _fragment(request: Request, template: str, context: Mapping[str, Any]) -> str:
    blocks = environment.get_template(template).blocks
    target = request.headers.get("HX-Target", "").replace("-", "_")
    if target in blocks and target != "main":
        return render_block(environment, template, target, context)
    title = render_block(environment, template, "title", context)
    main = render_block(environment, template, "main", context)
    head = Markup("<title>{}</title>").format(document_title(Markup(title).strip()))
    return str(head) + main


def _context(request: Request, context: Mapping[str, Any]) -> dict[str, Any]:
    # Who is signed in (None on the sign-in page), and what their role lets the page offer.
    session: Session | None = request.scope.get("state", {}).get("session")
    return {
        "request": request,
        "settings": request.app.state.settings,
        "now": datetime.now(UTC),
        "session": session,
        "may": Permissions.of(session.role if session else None),
        **context,
    }


def render_part(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """A template that is one part of a page (a table row), whoever asks."""
    html = environment.get_template(template).render(_context(request, context))
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Vary"] = VARY
    return response


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    context = _context(request, context)
    if is_htmx(request):
        html = _fragment(request, template, context)
    else:
        html = environment.get_template(template).render(context)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Vary"] = VARY
    return response
