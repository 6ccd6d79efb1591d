"""The door of each API: a request needs a token whose role the access table allows for its
route, checked before the app reads a byte of the body.

The route is found in the table itself (its path templates, compiled as Starlette compiles
them), not in the app's router: a path the table does not know still needs a valid token,
and the test that walks every route of both apps keeps the table complete.
"""

import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from jobdeck_access.roles import ANY_TOKEN, PROBE_PATHS, Access, Route, describe
from jobdeck_access.settings import ApiSettings
from jobdeck_access.tokens import Principal
from jobdeck_access.verifier import TokenVerifier
from jobdeck_db.availability import is_connection_problem
from jobdeck_runtime.request_guards import (
    BodySizeLimit,
    CrossSiteRefusal,
    JsonBodiesOnly,
    header,
    refuse,
)

logger = logging.getLogger("jobdeck.access")

_NEEDS_TOKEN = "a valid API token is needed: Authorization: Bearer <token>"


class AccessTable:
    """A table of (method, template) → access, ready to look a request's path up."""

    def __init__(self, table: Mapping[Route, Access]) -> None:
        by_template: dict[str, dict[str, Access]] = {}
        for (method, template), access in table.items():
            by_template.setdefault(template, {})[method] = access
        self._static = {t: m for t, m in by_template.items() if "{" not in t}
        self._dynamic: list[tuple[re.Pattern[str], str, dict[str, Access]]] = [
            (compile_path(t)[0], t, m) for t, m in by_template.items() if "{" in t
        ]

    def lookup(self, method: str, path: str) -> tuple[str, Access] | None:
        """(template, who may call it), or None when the table has no such route."""
        method = "GET" if method == "HEAD" else method
        methods = self._static.get(path)
        template = path
        if methods is None:
            for pattern, candidate, candidate_methods in self._dynamic:
                if pattern.match(path):
                    template, methods = candidate, candidate_methods
                    break
        if methods is None or method not in methods:
            return None
        return template, methods[method]


class RequireToken:
    def __init__(
        self, app: ASGIApp, table: Mapping[Route, Access], verifier: Callable[[], TokenVerifier]
    ) -> None:
        self.app = app
        self._table = AccessTable(table)
        self._verifier = verifier  # built in the app's lifespan, after this middleware

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self._table.lookup(scope["method"], scope["path"])
        # No such route in the table: any valid token may hear the app's own 404 or 405.
        template, access = found if found is not None else (scope["path"], ANY_TOKEN)
        if access is None:
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._principal(scope)
        except Exception as error:
            if not is_connection_problem(error):
                raise
            # As the apps answer while the database is away: the client may try again.
            await refuse(send, 503, "the database is unavailable; try again shortly")
            return
        if principal is None:
            await refuse(send, 401, _NEEDS_TOKEN, [(b"www-authenticate", b"Bearer")])
            return
        if principal.role not in access:
            method = scope["method"]
            detail = (
                f"role {principal.role} may not {method} {template}; it needs {describe(access)}"
            )
            await refuse(send, 403, detail)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope) -> Principal | None:
        scheme, _, secret = (header(scope, b"authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return await self._verifier().principal(secret.strip())


def principal_of(scope: Scope) -> Principal:
    """The principal RequireToken admitted this request as (routes that need a token)."""
    principal: Principal = scope["state"]["principal"]
    return principal


def protect(
    app: ASGIApp,
    table: Mapping[Route, Access],
    verifier: Callable[[], TokenVerifier],
    settings: ApiSettings,
    raw_body_paths: Collection[str] = (),
) -> ASGIApp:
    """An API behind its door, outermost first: the Host it was asked for, CORS and
    cross-site refusal for browsers, the token's role, then what the body may be."""
    inner = BodySizeLimit(JsonBodiesOnly(app, raw_body_paths), settings.max_body_bytes)
    guarded: ASGIApp = CrossSiteRefusal(RequireToken(inner, table, verifier), settings.cors_origins)
    if settings.cors_origins:
        guarded = CORSMiddleware(
            guarded,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    return KnownHostsOnly(guarded, settings.allowed_hosts)


class KnownHostsOnly:
    """400 for a Host name not in ALLOWED_HOSTS, which closes DNS rebinding; except for the
    probes and metrics, which monitoring reaches by a pod's address and which tell a page
    nothing worth rebinding a name for.

    Starlette's check parses the header on every request; a Host value it has let through
    once is let through again at once (runners send the same one thousands of times a
    second). The memory is bounded, so a flood of names under a wildcard only empties it."""

    MAX_REMEMBERED = 1_000

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self._admitted: set[str] = set()
        self.checked = TrustedHostMiddleware(self._remember_host, allowed_hosts=allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            scope["path"] in PROBE_PATHS or header(scope, b"host") in self._admitted
        ):
            await self.app(scope, receive, send)
        elif scope["type"] in ("http", "websocket"):
            await self.checked(scope, receive, send)
        else:  # lifespan: no Host to check
            await self.app(scope, receive, send)

    async def _remember_host(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Reached only through Starlette's check: this Host is allowed."""
        host = header(scope, b"host")
        if host is not None and scope["type"] == "http":
            if len(self._admitted) >= self.MAX_REMEMBERED:
                self._admitted.clear()
            self._admitted.add(host)
        await self.app(scope, receive, send)
