"""The contract's timestamps: in UTC, and only those Python and PostgreSQL both hold there."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from job_contract.payloads import DateRange
from job_contract.timestamps import EARLIEST, LATEST, UtcTimestamp

TIMESTAMP = TypeAdapter(UtcTimestamp)


def test_a_time_in_another_zone_becomes_the_same_instant_in_utc() -> None:
    parsed = TIMESTAMP.validate_python("2030-01-02T03:04:05+05:30")

    assert parsed == datetime(2030, 1, 1, 21, 34, 5, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_a_time_without_a_zone_is_taken_as_utc() -> None:
    assert TIMESTAMP.validate_python("2030-01-02T03:04:05") == datetime(
        2030, 1, 2, 3, 4, 5, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "9999-12-31T23:59:59.999999Z",  # asyncpg's `infinity`
        "0001-01-01T00:00:00Z",  # and `-infinity`
    ],
)
def test_a_time_utc_cannot_hold_is_refused_naming_the_range(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TIMESTAMP.validate_python(value)

    [error] = refused.value.errors()
    assert error["type"] == "timestamp_out_of_range"
    assert error["msg"] == f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()} in UTC"


def test_the_ends_of_the_range_are_accepted_from_any_zone() -> None:
    ahead = timezone(timedelta(hours=14))

    assert TIMESTAMP.validate_python(LATEST) == LATEST
    assert TIMESTAMP.validate_python(EARLIEST.astimezone(ahead)) == EARLIEST


def test_a_report_may_end_on_the_last_day_whose_next_day_python_holds() -> None:
    last = date(9999, 12, 30)

    assert DateRange(start=last, end=last).end == last
    with pytest.raises(ValidationError, match="less than or equal to 9999-12-30"):
        DateRange(start=last, end=date(9999, 12, 31))
