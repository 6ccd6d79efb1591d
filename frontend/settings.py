"""The dashboard's settings, read once from the environment (and `.env`)."""

from functools import lru_cache

from pydantic import AnyHttpUrl, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobdeck_runtime.settings import load_settings


class Settings(BaseSettings):
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


@lru_cache
def get_settings() -> Settings:
    return load_settings(Settings)
