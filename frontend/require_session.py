"""Every page needs a signed-in person; the sign-in page, static files and /healthz do not.

Without a valid session a browser is sent to /login?next=<where it was going>: a plain
request by redirect, an htmx request by HX-Redirect (htmx would otherwise swap the sign-in
page into a fragment of the old one).
"""

from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from frontend.local_urls import LOGIN, current_page, login_url, requested_page
from frontend.session import COOKIE, Session, SessionCookies

LOGOUT = "/logout"
OPEN_PATHS = frozenset({LOGIN, LOGOUT, "/healthz"})
OPEN_PREFIXES = ("/static/",)
# The sign-in page's notices, by the `reason` a redirect gives.
ENDED = "ended"  # the cookie is too old, or no longer valid
REFUSED = "refused"  # the API stopped accepting the token: revoked or expired
SIGNED_OUT = "signed_out"


def session_of(connection: HTTPConnection) -> Session:
    """The signed-in person (RequireSession let this request through)."""
    session: Session = connection.scope["state"]["session"]
    return session


def send_to_login(connection: HTTPConnection, reason: str | None = None) -> Response:
    """To the sign-in page, coming back here afterwards."""
    is_htmx = connection.headers.get("HX-Request") == "true"
    back = current_page(connection) if is_htmx else None
    if back is None and connection.scope.get("method") in ("GET", "HEAD"):
        back = requested_page(connection)
    url = login_url(back if back != "/" else None, reason)
    if is_htmx:
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


class RequireSession:
    def __init__(self, app: ASGIApp, cookies: SessionCookies) -> None:
        self.app = app
        self._cookies = cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        session = self._cookies.read(connection)
        if session is None:
            had_cookie = COOKIE in connection.cookies
            response = send_to_login(connection, ENDED if had_cookie else None)
            if had_cookie:
                self._cookies.clear(response, connection)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["session"] = session
        await self.app(scope, receive, send)
