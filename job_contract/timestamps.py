"""Timestamps as the contract takes them: in UTC, and only those Python and PostgreSQL can
both hold there.

`9999-12-31T23:59:59-01:00` is a valid ISO 8601 time whose UTC is in year 10000, past
Python's datetime; the very last microsecond Python can hold becomes PostgreSQL's
`infinity` on the way in (asyncpg's mapping), which intervals cannot be taken from. So the
contract accepts a day less than Python's range at each end: any zone's local time, and the
day after a report's last day, still fit.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

EARLIEST = datetime.combine(date.min + timedelta(days=1), time.min, tzinfo=UTC)
LATEST = datetime.combine(date.max - timedelta(days=1), time.max, tzinfo=UTC)
# A report's last day: the day after it must still begin at a timestamp Python can hold.
LATEST_DAY = LATEST.date()


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC (a time without a zone is taken as UTC), or a refusal
    naming the range when UTC cannot hold it."""
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise PydanticCustomError(
            "timestamp_out_of_range",
            "must be between {earliest} and {latest} in UTC",
            {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    return utc


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


# Every timestamp a client sends: scheduled_for, created_after, created_before.
UtcTimestamp = Annotated[datetime, AfterValidator(to_utc)]
