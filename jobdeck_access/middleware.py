"""The door of each API: a request's route needs a token whose role its table allows.

Wraps the whole app, so no route can forget to check: the route is found the way the app's
router will find it, and a route missing from the table is refused to every token.
"""

import json
import logging
from collections.abc import Callable, Mapping, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from jobdeck_access.roles import Access, Route, describe
from jobdeck_access.tokens import Principal
from jobdeck_access.verifier import TokenVerifier

logger = logging.getLogger("jobdeck.access")


class RequireToken:
    def __init__(
        self,
        app: ASGIApp,
        table: Mapping[Route, Access],
        routes: Callable[[], Sequence[BaseRoute]],
        verifier: Callable[[], TokenVerifier],
    ) -> None:
        self.app = app
        self._table = table
        self._routes = routes  # read per request: FastAPI adds its docs routes lazily
        self._verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        template = self._template(scope)
        if template is None:  # no such route: the app answers 404 or 405 itself
            await self.app(scope, receive, send)
            return
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        if (method, template) not in self._table:
            logger.error("%s %s is missing from the access table: refused", method, template)
            await _refuse(send, 403, f"{method} {template} is not open to any token")
            return
        access = self._table[(method, template)]
        if access is None:
            await self.app(scope, receive, send)
            return
        principal = await self._principal(scope)
        if principal is None:
            await _refuse(send, 401, "a valid API token is needed: Authorization: Bearer <token>")
            return
        if principal.role not in access:
            needed = describe(access)
            detail = f"role {principal.role} may not {method} {template}; it needs {needed}"
            await _refuse(send, 403, detail)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _template(self, scope: Scope) -> str | None:
        for route in self._routes():
            match, _child = route.matches(scope)
            if match is Match.FULL:
                path: str = getattr(route, "path", "")
                return path
        return None

    async def _principal(self, scope: Scope) -> Principal | None:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, secret = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return await self._verifier().principal(secret.strip())


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def principal_of(scope: Scope) -> Principal:
    """The principal RequireToken admitted this request as (routes that need a token)."""
    principal: Principal = scope["state"]["principal"]
    return principal
