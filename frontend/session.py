"""The signed-in person: their API token, its name and role, carried in a signed cookie.

The cookie is signed (itsdangerous, with SESSION_SECRET), not encrypted: it holds the
person's own token, in their own browser, out of reach of scripts (HttpOnly). The dashboard
trusts it only to know whom to act as; the APIs still check the token on every call.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from pydantic import BaseModel, ValidationError
from starlette.requests import HTTPConnection
from starlette.responses import Response

from frontend.permissions import may_sign_in
from frontend.settings import ServingSettings
from jobdeck_access.roles import Role

COOKIE = "jobdeck_session"
SAME_SITE: Literal["lax"] = "lax"


class Session(BaseModel):
    token: str
    name: str
    role: Role
    expires_at: datetime | None = None

    def has_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC))


class SessionCookies:
    """Writes, reads and clears the session cookie, with the settings' secret and lifetime."""

    def __init__(self, settings: ServingSettings, clock: Callable[[], float] = time.time) -> None:
        class Signer(TimestampSigner):
            # The time a cookie is stamped with and checked against: a test's clock may move.
            def get_timestamp(self) -> int:
                return int(clock())

        self._signer = URLSafeTimedSerializer(
            settings.session_secret.get_secret_value(),
            salt="jobdeck.dashboard.session",
            signer=Signer,
        )
        self._max_age = settings.session_max_age_seconds
        self._always_secure = settings.session_cookie_secure

    def read(self, connection: HTTPConnection) -> Session | None:
        """The session the request's cookie carries, or None (absent, forged, too old)."""
        value = connection.cookies.get(COOKIE)
        if not value:
            return None
        try:
            session = Session.model_validate(self._signer.loads(value, max_age=self._max_age))
        except (BadSignature, ValidationError):
            return None
        if not may_sign_in(session.role) or session.has_expired():
            return None
        return session

    def encode(self, session: Session) -> str:
        """The cookie's value: the session, signed and timestamped."""
        return self._signer.dumps(session.model_dump(mode="json"))

    def write(self, response: Response, connection: HTTPConnection, session: Session) -> None:
        max_age = self._max_age
        if session.expires_at is not None:
            # The cookie does not outlive the token it carries.
            left = (session.expires_at - datetime.now(UTC)).total_seconds()
            max_age = max(0, min(max_age, int(left)))
        response.set_cookie(
            COOKIE,
            self.encode(session),
            max_age=max_age,
            httponly=True,
            samesite=SAME_SITE,
            secure=self._secure(connection),
        )

    def clear(self, response: Response, connection: HTTPConnection) -> None:
        response.delete_cookie(
            COOKIE, httponly=True, samesite=SAME_SITE, secure=self._secure(connection)
        )

    def _secure(self, connection: HTTPConnection) -> bool:
        # Behind a TLS proxy, uvicorn --proxy-headers makes the scheme the client's.
        return self._always_secure or connection.url.scheme == "https"
