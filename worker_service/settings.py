"""The worker service's settings, read once from the environment (and `.env`)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from job_contract.bounds import DEFAULT_MAX_RESULT_BYTES
from jobdeck_access.settings import ApiSettings
from jobdeck_runtime.settings import load_settings
from worker_service.rescuer import RescuerSettings
from worker_service.scheduler import SchedulerSettings

_RESCUER = RescuerSettings()  # the rescuer's own defaults are the environment's
_SCHEDULER = SchedulerSettings()


class Settings(ApiSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, description="postgresql://…; unset means the embedded server in .data/pg"
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    lease_seconds: float = Field(default=60, gt=0)
    retry_base_delay_seconds: float = Field(default=2, ge=0)
    retry_max_delay_seconds: float = Field(default=300, ge=0)
    rescue_interval_seconds: float = Field(default=_RESCUER.interval_seconds, gt=0)
    rescue_batch_size: int = Field(default=_RESCUER.batch_size, ge=1)
    scheduler_interval_seconds: float = Field(default=_SCHEDULER.interval_seconds, gt=0)
    scheduler_batch_size: int = Field(default=_SCHEDULER.batch_size, ge=1)
    # A runner silent for longer than this is shown as down.
    worker_down_after_seconds: float = Field(default=30, gt=0)
    max_artifact_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # A job's result, as JSON: larger ones are refused (422) naming the result.
    max_result_bytes: int = Field(default=DEFAULT_MAX_RESULT_BYTES, ge=1024)

    def rescuer(self) -> RescuerSettings:
        return RescuerSettings(
            interval_seconds=self.rescue_interval_seconds, batch_size=self.rescue_batch_size
        )

    def scheduler(self) -> SchedulerSettings:
        return SchedulerSettings(
            interval_seconds=self.scheduler_interval_seconds,
            batch_size=self.scheduler_batch_size,
        )


@lru_cache
def get_settings() -> Settings:
    return load_settings(Settings)
