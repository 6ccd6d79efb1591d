"""RETAIN_*_DAYS, ARCHIVE_DIR, CLEANUP_BATCH_SIZE and CLEANUP_DUTY: read by every process
that may clean."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from job_contract import JobStatus
from job_contract.retention import RetentionPolicy


class RetentionSettings(BaseSettings):
    """Mixed into the producer API's and the worker service's settings (and read alone by
    `jobdeck cleanup`), so an asked-for run and a scheduled one keep the same policy."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    retain_completed_days: int = Field(default=7, ge=1, le=36500)
    retain_failed_days: int = Field(default=30, ge=1, le=36500)
    retain_cancelled_days: int = Field(default=7, ge=1, le=36500)
    # Deleted jobs are appended here as jobs-YYYY-MM-DD.ndjson first; unset: not archived.
    archive_dir: Path | None = None
    # Jobs per transaction: short locks, and little for autovacuum to catch up on at a time.
    cleanup_batch_size: int = Field(default=1000, ge=1, le=10_000)
    # The share of its run time the cleaner spends deleting: after a batch that took t seconds
    # it rests t * (1 - duty) / duty, so on a small machine it leaves the claim loops most of
    # a core (1 = back to back, as fast as the database deletes).
    cleanup_duty: float = Field(default=0.3, gt=0, le=1)

    def pause_after(self, batch_seconds: float) -> float:
        """How long to rest after a batch that took `batch_seconds`."""
        return batch_seconds * (1 - self.cleanup_duty) / self.cleanup_duty

    def retention_policy(self) -> RetentionPolicy:
        return RetentionPolicy(
            retain_days={
                JobStatus.COMPLETED: self.retain_completed_days,
                JobStatus.FAILED: self.retain_failed_days,
                JobStatus.CANCELLED: self.retain_cancelled_days,
            },
            archive_dir=str(self.archive_dir) if self.archive_dir else None,
            batch_size=self.cleanup_batch_size,
        )
