"""Cron expressions read in their IANA zone (jobdeck_schedules.cron): fire times in UTC, DST
changes in two zones, and the refusals the API turns into 422s."""

from datetime import UTC, datetime, timedelta

import pytest

from jobdeck_schedules.cron import CronSchedule, InvalidCron, InvalidTimezone
from jobdeck_schedules.timeline import fired_detail


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_next_runs_are_the_next_five_in_utc() -> None:
    runs = CronSchedule("*/10 * * * *", "UTC").next_runs(at("2026-06-01T09:03:00"))

    assert runs == [at("2026-06-01T09:10:00") + timedelta(minutes=10 * i) for i in range(5)]
    assert all(run.tzinfo is UTC for run in runs)


def test_a_fire_time_equal_to_now_is_past_not_next() -> None:
    assert CronSchedule("0 * * * *", "UTC").next_after(at("2026-06-01T09:00:00")) == at(
        "2026-06-01T10:00:00"
    )


def test_the_cron_is_read_in_its_zone() -> None:
    # 09:00 in Tokyo (UTC+9, no DST) is midnight UTC.
    runs = CronSchedule("0 9 * * *", "Asia/Tokyo").next_runs(at("2026-06-01T12:00:00"), 2)

    assert runs == [at("2026-06-02T00:00:00"), at("2026-06-03T00:00:00")]


# Berlin: on 2026-03-29 the clock jumps 02:00 → 03:00 (02:30 never happens); on 2026-10-25 it
# goes 03:00 → 02:00 (02:30 happens twice). New York: 2026-03-08 jumps 02:00 → 03:00;
# 2026-11-01 repeats 01:00–02:00.
@pytest.mark.parametrize(
    ("cron", "zone", "start", "expected"),
    [
        pytest.param(
            "30 2 * * *",
            "Europe/Berlin",
            "2026-03-27T12:00:00",
            ["2026-03-28T01:30:00", "2026-03-29T01:00:00", "2026-03-30T00:30:00"],
            id="berlin-spring-forward-fires-once-as-the-clock-jumps",
        ),
        pytest.param(
            "30 2 * * *",
            "Europe/Berlin",
            "2026-10-23T12:00:00",
            ["2026-10-24T00:30:00", "2026-10-25T00:30:00", "2026-10-26T01:30:00"],
            id="berlin-fall-back-fires-once-at-the-first-02:30",
        ),
        pytest.param(
            "30 2 * * *",
            "America/New_York",
            "2026-03-07T12:00:00",
            ["2026-03-08T07:00:00", "2026-03-09T06:30:00", "2026-03-10T06:30:00"],
            id="new-york-spring-forward-fires-once",
        ),
        pytest.param(
            "30 1 * * *",
            "America/New_York",
            "2026-10-31T12:00:00",
            ["2026-11-01T05:30:00", "2026-11-02T06:30:00", "2026-11-03T06:30:00"],
            id="new-york-fall-back-fires-once-at-the-first-01:30",
        ),
    ],
)
def test_a_daily_time_fires_once_on_dst_change_days(
    cron: str, zone: str, start: str, expected: list[str]
) -> None:
    runs = CronSchedule(cron, zone).next_runs(at(start), 3)

    assert runs == [at(text) for text in expected]


def test_hourly_runs_skip_the_missing_hour_and_keep_utc_spacing_across_it() -> None:
    runs = CronSchedule("0 * * * *", "Europe/Berlin").next_runs(at("2026-03-28T23:30:00"), 3)

    # Local 01:00, then 03:00 (02:00 does not exist), then 04:00: an hour apart in UTC.
    assert runs == [at("2026-03-29T00:00:00"), at("2026-03-29T01:00:00"), at("2026-03-29T02:00:00")]


def test_last_at_or_before_counts_the_moment_itself() -> None:
    times = CronSchedule("*/5 * * * *", "UTC")

    assert times.last_at_or_before(at("2026-06-01T10:00:00")) == at("2026-06-01T10:00:00")
    assert times.last_at_or_before(at("2026-06-01T10:04:59")) == at("2026-06-01T10:00:00")


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("* * *", "has 5 fields"),
        ("0 0 * * * *", "has 5 fields"),
        ("61 * * * *", "bad minute"),
        ("0 25 * * *", "bad hour"),
        ("every day", "has 5 fields"),
        ("0 0 30 2 *", "day-of-month"),
    ],
)
def test_an_invalid_cron_is_refused_saying_why(cron: str, message: str) -> None:
    with pytest.raises(InvalidCron, match=message):
        CronSchedule(cron, "UTC")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "utc+2"])
def test_an_unknown_zone_is_refused(zone: str) -> None:
    with pytest.raises(InvalidTimezone, match="IANA"):
        CronSchedule("* * * * *", zone)


@pytest.mark.parametrize(
    ("cron", "words"),
    [("*/10 * * * *", "Every 10 minutes"), ("30 2 * * *", "At 02:30")],
)
def test_the_cron_in_words(cron: str, words: str) -> None:
    assert CronSchedule(cron, "UTC").description() == words


def test_a_catch_up_detail_names_the_schedule_the_fire_time_and_the_missed_times() -> None:
    detail = fired_detail("nightly", at("2026-06-02T02:00:00"), at("2026-06-01T02:00:00"))

    assert detail.startswith("schedule nightly, fire time 2026-06-02T02:00:00Z")
    assert "since 2026-06-01T02:00:00Z" in detail
