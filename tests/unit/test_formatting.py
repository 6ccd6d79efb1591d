"""How times and payloads read on the pages."""

from datetime import UTC, datetime, timedelta

from frontend.formatting import ago, summary


def test_times_read_as_the_largest_whole_unit() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)

    assert ago(now - timedelta(seconds=1), now) == "just now"
    assert ago(now - timedelta(seconds=59), now) == "59 s ago"
    assert ago(now - timedelta(minutes=61), now) == "1 h ago"
    assert ago(now + timedelta(days=2, hours=3), now) == "in 2 d"
    assert ago(None) == "never"


def test_a_summary_tells_jobs_of_a_type_apart_in_one_line() -> None:
    long_message = {"user_id": "u-1", "channel": "push", "message": "x" * 200}

    assert summary("email", {"to": "a@example.com", "subject": "Hi"}) == "a@example.com · Hi"
    assert len(summary("notification", long_message)) == 90
    assert summary("fax", {"number": 1}) == '{"number": 1}'
