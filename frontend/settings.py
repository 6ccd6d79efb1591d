"""The dashboard's settings, read once from the environment (and `.env`)."""

import logging
import secrets
from functools import lru_cache
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import SettingsConfigDict

from jobdeck_access.settings import ServedSettings
from jobdeck_runtime.settings import load_settings

logger = logging.getLogger("frontend")

MIN_SESSION_SECRET_CHARS = 32
# What .env.example shows; a dashboard refuses to sign sessions with it.
SESSION_SECRET_PLACEHOLDER = "change-me-to-32-or-more-random-characters"
_HOW_TO_MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class Settings(ServedSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    producer_api_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://localhost:8000"), description="Where the producer API answers"
    )
    worker_service_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://localhost:3000"), description="Where GET /workers answers"
    )
    # How often live parts of a page (dashboard, a running job, runners) ask for fresh data.
    refresh_seconds: float = Field(default=3.0, ge=0.2, le=300)
    # How long a page waits for the producer API or the worker service.
    api_timeout_seconds: float = Field(default=10.0, gt=0)
    # `local`: a missing SESSION_SECRET is replaced by a random one (sessions end on restart).
    environment: Literal["local", "production"] = "production"
    # Signs the session cookie; checked by ServingSettings before the dashboard starts.
    session_secret: SecretStr | None = Field(default=None, validate_default=True)
    # How long a sign-in lasts (never past the token's own expiry).
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60, le=30 * 86400)
    # Mark the cookie Secure even when the request seems to be plain HTTP (TLS ends at a proxy
    # that sends no X-Forwarded-Proto). Requests that came over HTTPS get it anyway.
    session_cookie_secure: bool = False


class ServingSettings(Settings):
    """The settings a dashboard starts with: a session secret nobody can guess.

    Kept apart from Settings, which describes the variables (and their defaults) to the
    README and .env.example checks, so that describing them needs no secret.
    """

    session_secret: SecretStr = Field(default=None, validate_default=True)

    @field_validator("session_secret", mode="before")
    @classmethod
    def _trustworthy(cls, value: object, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")
        if not secret:
            if info.data.get("environment") == "local":
                logger.warning(
                    "SESSION_SECRET is not set: this local dashboard signs sessions with a "
                    "random secret, so they end when it stops"
                )
                return SecretStr(secrets.token_urlsafe(MIN_SESSION_SECRET_CHARS))
            raise PydanticCustomError(
                "session_secret_missing",
                "is required outside local runs (ENVIRONMENT=local); make one with {how}",
                {"how": _HOW_TO_MAKE_ONE},
            )
        if secret == SESSION_SECRET_PLACEHOLDER:
            raise PydanticCustomError(
                "session_secret_placeholder",
                "is still the placeholder from .env.example; make one with {how}",
                {"how": _HOW_TO_MAKE_ONE},
            )
        if len(secret) < MIN_SESSION_SECRET_CHARS:
            raise PydanticCustomError(
                "session_secret_short",
                "needs at least {chars} characters; make one with {how}",
                {"chars": MIN_SESSION_SECRET_CHARS, "how": _HOW_TO_MAKE_ONE},
            )
        return SecretStr(secret)


@lru_cache
def get_settings() -> ServingSettings:
    return load_settings(ServingSettings)
