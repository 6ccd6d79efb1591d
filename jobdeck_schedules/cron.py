"""A cron expression in an IANA time zone: its fire times, in UTC, DST handled.

cronsim does the cron arithmetic the way Debian's cron does across DST changes: a fire time
that falls in the hour skipped in spring happens once, as the clock jumps; one in the hour
repeated in autumn happens once, at its first occurrence. zoneinfo reads the zone (tzdata
supplies the database where the system has none).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cron_descriptor
from cronsim import CronSim, CronSimError

CRON_FIELDS = 5
# How many upcoming fire times the API shows.
NEXT_RUNS_SHOWN = 5


class InvalidCron(ValueError):
    """Not a five-field cron expression cron understands; the message says why."""


class InvalidTimezone(ValueError):
    """Not an IANA time zone name."""


def parse_timezone(name: str) -> ZoneInfo:
    """The zone called `name` ("Europe/Berlin", "UTC"); InvalidTimezone if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # ValueError: a name zoneinfo refuses outright (a path, say).
        raise InvalidTimezone(f"{name!r} is not an IANA time zone name") from None


@dataclass(frozen=True)
class CronSchedule:
    cron: str
    timezone: str

    def __post_init__(self) -> None:
        # Checked once here, so every use below can only fail on the cron itself.
        fields = self.cron.split()
        if len(fields) != CRON_FIELDS:
            raise InvalidCron(
                f"a cron expression has {CRON_FIELDS} fields (minute hour day month weekday),"
                f" this has {len(fields)}"
            )
        try:
            times = CronSim(self.cron, datetime.now(self.zone))
        except CronSimError as error:
            raise InvalidCron(str(error).lower() or "not a cron expression") from None
        if next(times, None) is None:  # cronsim looks 50 years ahead: "0 0 30 2 *"
            raise InvalidCron("this cron expression never fires")

    @cached_property
    def zone(self) -> ZoneInfo:
        return parse_timezone(self.timezone)

    def fire_times_after(self, moment: datetime) -> Iterator[datetime]:
        """Every fire time strictly after `moment` (any zone, naive means UTC), in UTC."""
        # cronsim starts from the next whole minute; a fire time equal to `moment` is past.
        local = _aware(moment).astimezone(self.zone)
        for fire in CronSim(self.cron, local):
            yield fire.astimezone(UTC)

    def next_after(self, moment: datetime) -> datetime:
        """The first fire time after `moment`, in UTC."""
        return next(self.fire_times_after(moment))

    def last_at_or_before(self, moment: datetime) -> datetime:
        """The latest fire time at or before `moment`, in UTC."""
        # Going backwards cronsim answers times strictly before its start; a second later
        # counts `moment` itself (fire times are whole minutes).
        local = (_aware(moment) + timedelta(seconds=1)).astimezone(self.zone)
        return next(CronSim(self.cron, local, reverse=True)).astimezone(UTC)

    def next_runs(self, moment: datetime, count: int = NEXT_RUNS_SHOWN) -> list[datetime]:
        """The next `count` fire times after `moment`, in UTC."""
        return list(islice(self.fire_times_after(moment), count))

    def description(self) -> str:
        """The cron in words ("Every 10 minutes"), or the cron itself if it has none."""
        options = cron_descriptor.Options()
        options.use_24hour_time_format = True
        try:
            return str(cron_descriptor.get_description(self.cron, options))
        except Exception:  # the describer knows fewer forms than cronsim: fall back, not fail
            return self.cron


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
