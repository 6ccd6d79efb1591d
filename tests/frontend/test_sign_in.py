"""/login and /logout: a token the producer API vouches for opens a session; nothing else does,
and a token revoked or expired since ends it."""

import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import pytest

from frontend.session import COOKIE
from jobdeck_access.roles import Role
from tests.eventually import eventually
from tests.factories import create_job, notification_job
from tests.frontend.arrange import dashboard, sign_in, signed_in

PAGES = ["/", "/jobs", "/jobs/new", "/types", "/workers", f"/jobs/{uuid.uuid4()}", "/no/such/page"]


def set_cookie(response: httpx.Response) -> Any:
    """The session cookie the response sets (a Morsel: value and attributes)."""
    cookies: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookies.load(header)
    assert COOKIE in cookies, f"no {COOKIE} cookie set: {response.headers}"
    return cookies[COOKIE]


async def new_token(api: httpx.AsyncClient, role: Role, **body: Any) -> dict[str, Any]:
    """A token made for one test: its id and secret."""
    name = f"dashboard-{role}-{uuid.uuid4().hex[:8]}"
    response = await api.post("/tokens", json={"name": name, "role": role, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# --- without a session -----------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_sends_a_stranger_to_the_sign_in_page(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    response = await anonymous.get(path)

    assert response.status_code == 303
    back = f"?next={quote(path, safe='')}" if path != "/" else ""  # the overview is the default
    assert response.headers["location"] == f"/login{back}"


async def test_a_post_without_a_session_changes_nothing(
    anonymous: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    job = await create_job(api, notification_job())

    response = await anonymous.post(f"/jobs/{job['id']}/cancel")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert (await api.get(f"/jobs/{job['id']}")).json()["status"] == "pending"


async def test_htmx_is_told_to_load_the_sign_in_page_for_the_page_it_shows(
    anonymous: httpx.AsyncClient, frontend_url: str
) -> None:
    response = await anonymous.get(
        "/",
        headers={"HX-Request": "true", "HX-Current-URL": f"{frontend_url}/jobs?status=failed"},
    )

    assert response.headers["HX-Redirect"] == "/login?next=%2Fjobs%3Fstatus%3Dfailed"
    assert response.text == ""


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/app.css", "/static/app.js"])
async def test_the_sign_in_page_health_and_assets_need_no_session(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    response = await anonymous.get(path)

    assert response.status_code == 200


async def test_a_forged_cookie_is_no_session(anonymous: httpx.AsyncClient) -> None:
    anonymous.cookies.set(COOKIE, "eyJ0b2tlbiI6ImpkX2Zha2UifQ.forged.signature")

    response = await anonymous.get("/jobs")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fjobs&reason=ended"
    assert set_cookie(response).value == ""  # and the browser forgets it


# --- signing in ------------------------------------------------------------------------------


async def test_a_good_token_opens_a_session_in_a_cookie_scripts_cannot_read(
    anonymous: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    form = (await anonymous.get("/login?next=/jobs%3Fstatus%3Dfailed")).text

    response = await anonymous.post(
        "/login", data={"token": tokens[Role.VIEWER], "next": "/jobs?status=failed"}
    )

    assert '<input id="token" name="token" type="password"' in form
    assert '<input type="hidden" name="next" value="/jobs?status=failed">' in form
    assert response.status_code == 303
    assert response.headers["location"] == "/jobs?status=failed"
    cookie = set_cookie(response)
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "lax"
    assert not cookie["secure"]  # plain HTTP here: a Secure cookie would never come back
    assert int(cookie["max-age"]) == 12 * 3600
    assert cookie["path"] == "/"
    assert tokens[Role.VIEWER] not in (await anonymous.get("/jobs")).text


async def test_the_header_says_who_is_signed_in(web_viewer: httpx.AsyncClient) -> None:
    page = (await web_viewer.get("/")).text

    assert '<span class="who-name" title="Signed in with the token named test-viewer">' in page
    assert '<span class="who-role badge">viewer</span>' in page
    assert '<form class="who" method="post" action="/logout" hx-boost="false">' in page
    assert ">Sign out</button>" in page


async def test_a_session_over_https_gets_a_secure_cookie(
    anonymous: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    # As a TLS proxy on this host tells uvicorn (its --proxy-headers trusts 127.0.0.1).
    response = await anonymous.post(
        "/login", data={"token": tokens[Role.VIEWER]}, headers={"X-Forwarded-Proto": "https"}
    )

    assert response.status_code == 303
    assert set_cookie(response)["secure"] is True


@pytest.fixture(scope="module")
def always_secure_url(producer_url: str) -> Iterator[str]:
    with dashboard(producer_url, SESSION_COOKIE_SECURE="true") as base_url:
        yield base_url


async def test_a_setting_makes_the_cookie_secure_behind_a_silent_proxy(
    always_secure_url: str, tokens: dict[Role, str]
) -> None:
    async with httpx.AsyncClient(base_url=always_secure_url) as client:
        response = await client.post("/login", data={"token": tokens[Role.VIEWER]})

    assert set_cookie(response)["secure"] is True


@pytest.mark.parametrize(
    "token",
    [
        "jd_" + "A" * 43,  # shaped like a token, but nobody made it
        "not a token at all",
        "報告",  # not even sendable in a header
        "jd_\r\nX-Injected: 1",
    ],
)
async def test_a_wrong_token_is_refused_beside_the_field_and_not_shown_again(
    anonymous: httpx.AsyncClient, token: str
) -> None:
    response = await anonymous.post("/login", data={"token": token, "next": "/jobs"})

    assert response.status_code == 422
    assert "The API does not accept this token" in response.text
    assert 'aria-invalid="true"' in response.text
    assert token not in response.text
    assert "set-cookie" not in response.headers
    assert (await anonymous.get("/jobs")).status_code == 303  # still nobody


async def test_a_runner_token_cannot_sign_in(
    anonymous: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    response = await anonymous.post("/login", data={"token": tokens[Role.RUNNER]})

    assert response.status_code == 422
    assert "A runner token cannot sign in to the dashboard." in response.text
    assert "Use a viewer, producer, operator or admin token." in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "next_page",
    [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
async def test_after_sign_in_a_next_page_on_another_site_is_ignored(
    anonymous: httpx.AsyncClient, tokens: dict[Role, str], next_page: str
) -> None:
    form = (await anonymous.get("/login", params={"next": next_page})).text

    response = await anonymous.post(
        "/login", data={"token": tokens[Role.VIEWER], "next": next_page}
    )

    assert '<input type="hidden" name="next" value="">' in form
    assert response.status_code == 303
    assert response.headers["location"] == "/"


# --- signing out, and sessions that end ------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_signing_out_forgets_the_session(web: httpx.AsyncClient, method: str) -> None:
    response = await web.request(method, "/logout")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=signed_out"
    assert set_cookie(response).value == ""
    assert (await web.get("/jobs")).status_code == 303
    assert "You signed out." in (await web.get(response.headers["location"])).text


async def test_a_revoked_token_ends_the_session_at_the_next_page(
    frontend_url: str, api: httpx.AsyncClient
) -> None:
    token = await new_token(api, Role.OPERATOR)
    async with signed_in(frontend_url, token["token"]) as web:
        assert (await web.get("/jobs")).status_code == 200
        assert (await api.delete(f"/tokens/{token['id']}")).status_code == 204

        # Each API process trusts a token's check for TOKEN_CACHE_SECONDS (0.1 s here).
        ended = await eventually(
            lambda: web.get("/jobs"), lambda answer: answer.status_code == 303, every=0.25
        )
        notice = (await web.get(ended.headers["location"])).text

    assert ended.headers["location"] == "/login?next=%2Fjobs&reason=refused"
    assert set_cookie(ended).value == ""
    assert "The API no longer accepts your token" in notice


async def test_an_expired_token_ends_the_session_at_the_next_page(
    frontend_url: str, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    token = await new_token(api, Role.VIEWER, expires_in_days=1)
    async with signed_in(frontend_url, token["token"]) as web:
        await db.execute(
            "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
            uuid.UUID(token["id"]),
        )

        ended = await eventually(
            lambda: web.get("/jobs?status=failed"),
            lambda answer: answer.status_code == 303,
            every=0.25,
        )

    assert ended.headers["location"] == "/login?next=%2Fjobs%3Fstatus%3Dfailed&reason=refused"


async def test_an_htmx_request_with_a_revoked_token_reloads_into_the_sign_in_page(
    frontend_url: str, api: httpx.AsyncClient
) -> None:
    token = await new_token(api, Role.VIEWER)
    async with httpx.AsyncClient(base_url=frontend_url) as web:
        await sign_in(web, token["token"])
        await api.delete(f"/tokens/{token['id']}")
        poll = {"HX-Request": "true", "HX-Target": "live", "HX-Current-URL": f"{frontend_url}/"}

        ended = await eventually(
            lambda: web.get("/", headers=poll), lambda answer: "HX-Redirect" in answer.headers
        )

    assert ended.headers["HX-Redirect"] == "/login?reason=refused"


async def test_a_session_cookie_lasts_no_longer_than_its_token(
    anonymous: httpx.AsyncClient, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    token = await new_token(api, Role.VIEWER, expires_in_days=1)
    await db.execute(
        "UPDATE api_tokens SET expires_at = now() + interval '1 hour' WHERE id = $1",
        uuid.UUID(token["id"]),
    )

    response = await anonymous.post("/login", data={"token": token["token"]})

    assert 3_500 < int(set_cookie(response)["max-age"]) <= 3_600  # not the 12 h of a session


async def test_a_sign_in_posted_from_another_site_is_refused(
    anonymous: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    # Else a page elsewhere could sign a visitor in as its own maker (login CSRF).
    response = await anonymous.post(
        "/login",
        data={"token": tokens[Role.VIEWER]},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 403
    assert "set-cookie" not in response.headers
