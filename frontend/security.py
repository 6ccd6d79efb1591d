"""Browser-facing protections: a strict Content-Security-Policy and same-origin-only posts."""

from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only our own files: no inline script or style, no eval, nothing from other origins.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SecurityHeaders:
    """Adds the policy headers to every response, pages and static files alike; a response
    that sets one itself (a download's stricter policy) keeps its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = headers + [h for h in _HEADERS if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CrossSiteRequest(Exception):
    """This request came from another site, so Jobdeck refused to act on it."""


def is_same_origin(request: Request) -> bool:
    """True unless the browser says the request was started by another site.

    Browsers send Sec-Fetch-Site (and Origin) with every form post and htmx request; a
    client that sends neither is not a browser a forged page could drive.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("Host")


async def same_origin_only(request: Request) -> None:
    """An app-wide dependency: state-changing requests must come from our own pages."""
    if request.method not in _SAFE_METHODS and not is_same_origin(request):
        raise CrossSiteRequest
