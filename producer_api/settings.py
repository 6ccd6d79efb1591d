"""The producer API's settings, read once from the environment (and `.env`)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from jobdeck_access.settings import ApiSettings
from jobdeck_retention.settings import RetentionSettings
from jobdeck_runtime.settings import load_settings


class Settings(ApiSettings, RetentionSettings):
    """RetentionSettings: POST /maintenance/cleanup keeps the worker service's policy."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, description="postgresql://…; unset means the embedded server in .data/pg"
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # GET /jobs counts matches exactly up to this many, then gives the planner's estimate.
    exact_count_limit: int = Field(default=10_000, ge=100)
    # ...and gives the estimate too when counting takes longer than this.
    exact_count_timeout_ms: int = Field(default=100, ge=1)
    stats_compact_interval_seconds: float = Field(default=5.0, gt=0)
    # How long the job types POST /jobs accepts are cached (changes made through this process
    # apply at once; another replica's within this).
    job_types_refresh_seconds: float = Field(default=2.0, gt=0)


@lru_cache
def get_settings() -> Settings:
    return load_settings(Settings)
