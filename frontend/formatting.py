"""Jinja filters: how times, counts and payloads read on the pages."""

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from job_contract import JobType

_UNITS = ((86_400, "d"), (3_600, "h"), (60, "min"), (1, "s"))


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "4 min ago", "in 2 h": the largest whole unit, which is what a glance needs."""
    if moment is None:
        return "never"
    seconds = round(((now or datetime.now(UTC)) - moment).total_seconds())
    if abs(seconds) < 2:
        return "just now"
    size, unit = next((size, unit) for size, unit in _UNITS if abs(seconds) >= size)
    amount = f"{abs(seconds) // size} {unit}"
    return f"{amount} ago" if seconds > 0 else f"in {amount}"


def utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def clock(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M:%S")


def number(value: int) -> str:
    return f"{value:,}"


def duration(seconds: float | None) -> str:
    """ "350 ms", "4.2 s", "3.5 min", "2.1 h"; "—" when there is no figure."""
    if seconds is None:
        return "—"
    for unit, size in (("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds * 1000:.0f} ms"


def percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction:.1%}"


def humanize(value: str) -> str:
    return value.replace("_", " ")


def _email(payload: Mapping[str, Any]) -> str:
    return f"{payload.get('to', '?')} · {payload.get('subject', '')}"


def _report(payload: Mapping[str, Any]) -> str:
    dates = payload.get("date_range") or {}
    kind = humanize(str(payload.get("report_type", "report")))
    span = f"{dates.get('start', '?')} → {dates.get('end', '?')}"
    return f"{kind} · {str(payload.get('format', '')).upper()} · {span}"


def _notification(payload: Mapping[str, Any]) -> str:
    recipient = f"{payload.get('channel', '?')} to {payload.get('user_id', '?')}"
    return f"{recipient}: {payload.get('message', '')}"


_SUMMARIES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    JobType.EMAIL: _email,
    JobType.REPORT: _report,
    JobType.NOTIFICATION: _notification,
}


def summary(job_type: str, payload: Mapping[str, Any], width: int = 90) -> str:
    """One line that tells jobs of a type apart in a table."""
    describe = _SUMMARIES.get(job_type)
    text = describe(payload) if describe else json.dumps(payload, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


FILTERS: dict[str, Callable[..., str]] = {
    "ago": ago,
    "utc": utc,
    "clock": clock,
    "number": number,
    "duration": duration,
    "percent": percent,
    "humanize": humanize,
    "summary": summary,
}
