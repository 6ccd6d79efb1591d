"""The worker service's settings, read once from the environment (and `.env`)."""

from functools import lru_cache

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from job_contract.bounds import DEFAULT_MAX_RESULT_BYTES
from jobdeck_access.settings import ApiSettings
from jobdeck_retention.cleaner import CleanerSettings
from jobdeck_retention.settings import RetentionSettings
from jobdeck_runtime.settings import load_settings
from worker_service.alerts.evaluator import AlertSettings
from worker_service.alerts.mailer import email_addresses
from worker_service.callbacks.deliverer import DelivererSettings
from worker_service.callbacks.signing import WebhookSigner, secret_bytes
from worker_service.rescuer import RescuerSettings
from worker_service.runner.smtp_url import parse_smtp_url
from worker_service.scheduler import SchedulerSettings

# Each service's own defaults are the environment's.
_RESCUER = RescuerSettings()
_CLEANER = CleanerSettings()
_DELIVERER = DelivererSettings()
_ALERTS = AlertSettings()
_SCHEDULER = SchedulerSettings()


class Settings(ApiSettings, RetentionSettings):
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
    # How often the cleaner retires jobs past RETAIN_*_DAYS (the other retention settings
    # come from RetentionSettings, which the producer API reads too).
    cleanup_interval_seconds: float = Field(default=_CLEANER.interval_seconds, gt=0)

    # Callbacks: signed with WEBHOOK_SECRET (and WEBHOOK_SECRET_NEXT while rotating to it).
    webhook_secret: SecretStr | None = None
    webhook_secret_next: SecretStr | None = None
    callback_timeout_seconds: float = Field(default=_DELIVERER.timeout_seconds, gt=0, le=300)
    callback_retry_base_seconds: float = Field(default=_DELIVERER.retry_base_seconds, ge=0)
    callback_max_attempts: int = Field(default=_DELIVERER.max_attempts, ge=1, le=100)
    callback_allow_private: bool = _DELIVERER.allow_private
    callback_concurrency: int = Field(default=_DELIVERER.concurrency, ge=1, le=1000)
    callback_interval_seconds: float = Field(default=_DELIVERER.interval_seconds, gt=0)
    # false: this service leaves callbacks to `python -m worker_service.callbacks`.
    callback_in_service: bool = True
    # Alerts: a Slack-compatible incoming webhook (its URL is a secret: never logged).
    alert_webhook_url: SecretStr | None = None
    alert_min_interval_seconds: float = Field(default=_ALERTS.min_interval_seconds, ge=0)
    alert_window_minutes: float = Field(default=_ALERTS.window_minutes, gt=0)
    alert_failure_rate: float = Field(default=_ALERTS.failure_rate, ge=0, le=1)
    alert_min_jobs: int = Field(default=_ALERTS.min_jobs, ge=1)
    alert_interval_seconds: float = Field(default=_ALERTS.interval_seconds, gt=0)
    # Alerts by e-mail too: to these addresses (comma-separated), through the runners' SMTP
    # server (SMTP_URL, a secret: it may hold a password) from SMTP_FROM.
    smtp_url: SecretStr | None = None
    smtp_from: str = _ALERTS.smtp_from
    alert_email: str | None = None
    # Where alerts link to: the dashboard as its users reach it.
    dashboard_url: str = _ALERTS.dashboard_url

    @field_validator("webhook_secret", "webhook_secret_next")
    @classmethod
    def _a_standard_webhooks_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret_bytes(value.get_secret_value())
        return value

    @field_validator("alert_email")
    @classmethod
    def _email_addresses(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            email_addresses(value)
            if info.data.get("smtp_url") is None:
                raise ValueError("needs SMTP_URL, the SMTP server alerts are sent through")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_is_usable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_smtp_url(value.get_secret_value())
        return value

    @field_validator("alert_webhook_url")
    @classmethod
    def _an_http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("must be an http or https URL")
        return value

    def signer(self) -> WebhookSigner:
        secrets = [self.webhook_secret, self.webhook_secret_next]
        return WebhookSigner(
            [secret_bytes(secret.get_secret_value()) for secret in secrets if secret is not None]
        )

    def deliverer(self) -> DelivererSettings:
        return DelivererSettings(
            interval_seconds=self.callback_interval_seconds,
            concurrency=self.callback_concurrency,
            timeout_seconds=self.callback_timeout_seconds,
            retry_base_seconds=self.callback_retry_base_seconds,
            max_attempts=self.callback_max_attempts,
            allow_private=self.callback_allow_private,
        )

    def alerts(self) -> AlertSettings:
        url = self.alert_webhook_url
        return AlertSettings(
            interval_seconds=self.alert_interval_seconds,
            webhook_url=url.get_secret_value() if url is not None else None,
            min_interval_seconds=self.alert_min_interval_seconds,
            window_minutes=self.alert_window_minutes,
            failure_rate=self.alert_failure_rate,
            min_jobs=self.alert_min_jobs,
            runner_down_after_seconds=self.worker_down_after_seconds,
            dashboard_url=self.dashboard_url.rstrip("/"),
            email_to=email_addresses(self.alert_email or ""),
            smtp_url=self.smtp_url,
            smtp_from=self.smtp_from,
        )

    def rescuer(self) -> RescuerSettings:
        return RescuerSettings(
            interval_seconds=self.rescue_interval_seconds, batch_size=self.rescue_batch_size
        )

    def cleaner(self) -> CleanerSettings:
        return CleanerSettings(interval_seconds=self.cleanup_interval_seconds)

    def scheduler(self) -> SchedulerSettings:
        return SchedulerSettings(
            interval_seconds=self.scheduler_interval_seconds,
            batch_size=self.scheduler_batch_size,
        )


@lru_cache
def get_settings() -> Settings:
    return load_settings(Settings)
