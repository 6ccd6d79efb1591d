"""/login and /logout: sign in with an API token, which the producer API vouches for."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from frontend.client import ProducerApi, TokenRefused
from frontend.local_urls import local_path, login_url
from frontend.permissions import LIST_JOBS, may_sign_in, needed_for
from frontend.require_session import ENDED, REFUSED, SIGNED_OUT
from frontend.session import Session, SessionCookies
from frontend.templating import render
from jobdeck_access.tokens import looks_like_token

router = APIRouter()

NOTICES = {
    ENDED: "Your session ended. Sign in again to go on.",
    REFUSED: "The API no longer accepts your token: it was revoked or it expired. "
    "Sign in with a valid one.",
    SIGNED_OUT: "You signed out.",
}
UNKNOWN_TOKEN = "The API does not accept this token: it is unknown, revoked or expired."
NOT_FOR_THE_DASHBOARD = "A {role} token cannot sign in to the dashboard. Use a {needed} token."


def _page(request: Request, next_path: str, notice: str = "", error: str = "") -> HTMLResponse:
    # The token typed is never sent back: a wrong one may be a real secret mistyped.
    context = {"next": next_path, "notice": notice, "error": error}
    return render(request, "login.html", context, 422 if error else 200)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "", reason: str = "") -> HTMLResponse:
    return _page(request, local_path(next) or "", notice=NOTICES.get(reason, ""))


@router.post("/login")
async def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    next_path = local_path(next) or ""
    token = token.strip()
    if not token:
        return _page(request, next_path, error="Paste an API token.")
    if not looks_like_token(token):
        # Not one of ours (and maybe not even sendable in a header): no need to ask.
        return _page(request, next_path, error=UNKNOWN_TOKEN)
    api: ProducerApi = request.app.state.api
    try:
        me = await api.signed_in(token).me()
    except TokenRefused:
        return _page(request, next_path, error=UNKNOWN_TOKEN)
    if not may_sign_in(me.role):
        refusal = NOT_FOR_THE_DASHBOARD.format(role=me.role, needed=needed_for(LIST_JOBS))
        return _page(request, next_path, error=refusal)
    response = RedirectResponse(next_path or "/", status_code=303)
    session = Session(token=token, name=me.name, role=me.role, expires_at=me.expires_at)
    _cookies(request).write(response, request, session)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Forgets the session in this browser; the token itself stays valid (revoke it to end it)."""
    response = RedirectResponse(login_url(reason=SIGNED_OUT), status_code=303)
    _cookies(request).clear(response, request)
    return response


@router.get("/logout")
async def logout_link(request: Request) -> Response:
    """The same for a typed or bookmarked /logout (the header's button posts)."""
    return await logout(request)


def _cookies(request: Request) -> SessionCookies:
    cookies: SessionCookies = request.app.state.session_cookies
    return cookies
