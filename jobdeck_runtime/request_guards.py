"""What the APIs refuse before any route sees a request: bodies over the limit (413), bodies
that are not JSON where JSON is expected (415), and state changes a browser sent from
another site (403). Pure ASGI: each check reads the headers once and buffers nothing."""

import json
from collections.abc import Collection, Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Methods that only read: a page from another site may send these, they change nothing.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def refuse(
    send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Answer `{"detail": …}` with `status`, as the APIs' own errors look."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class BodySizeLimit:
    """413 for bodies over `max_bytes`, declared or streamed, without buffering them.

    A streamed body is counted as the app reads it. Past the limit the app is answered for:
    413 goes out at once and the app is told the client left, so it stops reading; whatever
    it answers or raises after that is dropped (an exception raised through it instead
    would reach Starlette's error middleware first, which answers 500)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        cut_off = started = answered = False

        async def counting_receive() -> Message:
            nonlocal received, cut_off, answered
            if cut_off:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    cut_off = True
                    if not started:
                        answered = True
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # answered already, with 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not answered:
                raise

    async def _refuse(self, send: Send) -> None:
        await refuse(send, 413, f"request body is over the limit of {self.max_bytes} bytes")


_NOT_JSON = "the request body must be JSON (Content-Type: application/json)"


class JsonBodiesOnly:
    """415 for a request body that does not say it is JSON, except under `raw_paths` (routes
    that take files). A form or text/plain post is what a page on another site can send
    without asking, so refusing it also closes that door."""

    def __init__(self, app: ASGIApp, raw_paths: Collection[str] = ()) -> None:
        self.app = app
        self.raw_paths = tuple(raw_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and _has_body(scope)
            and not (self.raw_paths and scope["path"].startswith(self.raw_paths))
            and not _is_json(header(scope, b"content-type"))
        ):
            await refuse(
                send, 415, "the request body must be JSON (Content-Type: application/json)"
            )
            return
        await self.app(scope, receive, send)


def _has_body(scope: Scope) -> bool:
    length = header(scope, b"content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return header(scope, b"transfer-encoding") is not None


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class CrossSiteRefusal:
    """403 for a state-changing request a browser sent from another site: its Origin is
    neither the API's own nor one of `allowed_origins` (CORS_ORIGINS), or, with no Origin,
    the browser says `Sec-Fetch-Site: cross-site`. Scripts and servers send neither header."""

    def __init__(self, app: ASGIApp, allowed_origins: Collection[str]) -> None:
        self.app = app
        self.allowed = {origin.rstrip("/").lower() for origin in allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and not self._same_site_or_allowed(scope)
        ):
            await refuse(send, 403, "cross-site requests may not change anything here")
            return
        await self.app(scope, receive, send)

    def _same_site_or_allowed(self, scope: Scope) -> bool:
        origin = header(scope, b"origin")
        if origin is not None and origin != "null":
            origin = origin.rstrip("/").lower()
            # The API's own pages (Swagger UI) by host and port; the scheme is left out, which
            # a proxy that ends TLS in front of the API would otherwise make differ.
            own_host = (header(scope, b"host") or "").lower()
            return origin.partition("://")[2] == own_host or origin in self.allowed
        if origin == "null":  # a sandboxed or file:// page
            return False
        return header(scope, b"sec-fetch-site") != "cross-site"
