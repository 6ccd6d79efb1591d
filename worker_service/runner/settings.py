"""The runner's settings, read once from the environment (and `.env`)."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jobdeck_runtime.settings import load_settings
from worker_service.runner.smtp_url import parse_smtp_url

_REPO_ROOT = Path(__file__).resolve().parents[2]


class RunnerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    worker_service_url: str = "http://localhost:3000"
    # A runner token (`jobdeck tokens create --role runner`): required, there is no default.
    jobdeck_token: SecretStr = Field(min_length=1)
    heartbeat_interval_seconds: float = Field(default=10, gt=0)
    shutdown_grace_seconds: float = Field(default=30, ge=0)
    smtp_url: str | None = Field(
        default=None, description="smtp://user:pass@host:port (smtps:// for TLS); unset → outbox"
    )
    smtp_from: str = "jobdeck@localhost"
    notify_webhook_url: str | None = Field(default=None, description="unset → outbox")
    # An `email` notification to a user_id that is not an address goes to <user_id>@<this>.
    notify_email_domain: str = "localhost"
    outbox_dir: Path = _REPO_ROOT / ".data" / "outbox"
    # Modules whose HANDLERS plug in handlers for custom types, comma-separated (--handlers).
    runner_handlers: Annotated[list[str], NoDecode] = []
    simulated_failure_rate: float = Field(default=0, ge=0, le=1)
    simulated_duration_ms: int = Field(default=0, ge=0)

    @field_validator("runner_handlers", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [path.strip() for path in value.split(",") if path.strip()]
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_is_usable(cls, url: str | None) -> str | None:
        # Refused at startup rather than on the first mail job, which would only retry.
        if url is not None:
            parse_smtp_url(url)
        return url


@lru_cache
def get_settings() -> RunnerSettings:
    return load_settings(RunnerSettings)
