"""What a schedule's job says on its timeline: its `created` event's detail names the schedule
and the fire time, written the same way by the scheduler and by "run now"."""

from datetime import UTC, datetime


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def fired_detail(schedule: str, fire_at: datetime, missed_since: datetime | None = None) -> str:
    """A fire time's job; `missed_since`: the first of the times missed while nothing ran,
    made up once by this job."""
    detail = f"schedule {schedule}, fire time {_utc(fire_at)}"
    if missed_since is not None:
        detail += f" (catch-up: the times since {_utc(missed_since)} were missed, made up once)"
    return detail


def run_now_detail(schedule: str, at: datetime) -> str:
    return f"schedule {schedule}, run now at {_utc(at)}"
