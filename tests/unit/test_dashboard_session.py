"""The session cookie: what it carries, how long it lasts, and who it is refused to."""

from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

from starlette.requests import Request
from starlette.responses import Response

from frontend.session import COOKIE, Session, SessionCookies
from frontend.settings import ServingSettings
from jobdeck_access.roles import Role

SECRET = "unit-test-session-secret-0123456789abcdef"
TOKEN = "jd_" + "t" * 43


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def cookies(secret: str = SECRET, clock: Clock | None = None) -> SessionCookies:
    settings = ServingSettings(_env_file=None, session_secret=secret)  # type: ignore[call-arg]
    return SessionCookies(settings, clock or Clock())


def request_with(value: str, scheme: str = "http") -> Request:
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "server": ("127.0.0.1", 3001),
            "path": "/",
            "headers": [(b"cookie", f"{COOKIE}={value}".encode())],
        }
    )


def session(**changes: object) -> Session:
    return Session(token=TOKEN, name="ada", role=Role.OPERATOR).model_copy(update=changes)


def test_a_session_reads_back_as_it_was_written() -> None:
    value = cookies().encode(session())

    assert cookies().read(request_with(value)) == session()


def test_a_cookie_signed_with_another_secret_or_edited_is_no_session() -> None:
    value = cookies("another-secret-of-thirty-two-characters!").encode(session())

    assert cookies().read(request_with(value)) is None
    assert cookies().read(request_with(cookies().encode(session())[:-2] + "xx")) is None


def test_a_session_ends_after_its_maximum_age() -> None:
    clock = Clock()
    value = cookies(clock=clock).encode(session())

    clock.now += 12 * 3600 - 1
    still = cookies(clock=clock).read(request_with(value))
    clock.now += 2
    over = cookies(clock=clock).read(request_with(value))

    assert still == session()
    assert over is None


def test_a_session_ends_when_its_token_expires() -> None:
    expired = session(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert cookies().read(request_with(cookies().encode(expired))) is None


def test_a_runner_token_never_makes_a_session() -> None:
    value = cookies().encode(session(role=Role.RUNNER))

    assert cookies().read(request_with(value)) is None


def test_the_cookie_is_http_only_same_site_and_secure_over_https() -> None:
    plain, tls = Response(), Response()
    cookies().write(plain, request_with("", "http"), session())
    cookies().write(tls, request_with("", "https"), session())

    plain_cookie = SimpleCookie(plain.headers["set-cookie"])[COOKIE]
    tls_cookie = SimpleCookie(tls.headers["set-cookie"])[COOKIE]
    assert plain_cookie["httponly"] and plain_cookie["samesite"] == "lax"
    assert not plain_cookie["secure"]
    assert tls_cookie["secure"]
