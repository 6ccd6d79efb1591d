"""The scheduler: each schedule's job, made once per fire time, by whichever worker service
gets there first.

Safe with any number of worker services: a due schedule's row is taken with SKIP LOCKED and
its next due time is moved past now in the same transaction as its job (and a unique key on
schedule and fire time backs that up). After downtime, the times missed make one catch-up job,
for the latest of them: a queue that was down an hour should not get sixty identical jobs.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import Field

from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_runtime.maintenance import MaintenanceSettings
from jobdeck_schedules.cron import CronSchedule
from jobdeck_schedules.timeline import fired_detail
from worker_service.records import DueSchedule, FiredSchedule, Firing
from worker_service.store import WorkerStore

logger = logging.getLogger("worker_service.scheduler")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SchedulerSettings(MaintenanceSettings):
    """SCHEDULER_INTERVAL_SECONDS and SCHEDULER_BATCH_SIZE take their defaults from here."""

    # A due schedule fires within this long; a pass costs one index probe when none is due.
    interval_seconds: float = Field(default=1, gt=0)
    batch_size: int = Field(default=100, ge=1)


def plan_firing(due: DueSchedule, now: datetime) -> Firing:
    """The job to make for a due schedule, and when it is due next."""
    times = CronSchedule(due.cron, due.timezone)
    following = times.next_after(due.next_run_at)
    if following > now:  # on time: just this one fire time has come
        return Firing(due.next_run_at, fired_detail(due.name, due.next_run_at), following)
    latest = times.last_at_or_before(now)
    return Firing(
        latest,
        fired_detail(due.name, latest, missed_since=due.next_run_at),
        times.next_after(now),
    )


class Scheduler(DatabaseMaintenance[SchedulerSettings, list[FiredSchedule]]):
    def __init__(
        self,
        store: WorkerStore,
        settings: SchedulerSettings | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(settings or SchedulerSettings())
        self._store = store
        self._clock = clock

    async def run_once(self) -> list[FiredSchedule]:
        """Fire up to one batch of due schedules; return what each made."""
        now = self._clock()
        fired = await self._store.fire_due_schedules(
            now, self.settings.batch_size, lambda due: plan_firing(due, now)
        )
        for firing in fired:
            if firing.job_id is None:
                logger.warning(
                    "schedule %s made no job for %s (its type was deleted, or that time had one)",
                    firing.name,
                    firing.fire_at.isoformat(),
                )
        return fired

    def more_waiting(self, report: list[FiredSchedule]) -> bool:
        return len(report) >= self.settings.batch_size
