"""Valid job requests with defaults, overridable per test."""

from typing import Any


def email_job(**overrides: Any) -> dict[str, Any]:
    payload = {"to": "ada@example.com", "subject": "Welcome", "body": "Hello Ada"}
    payload.update(overrides.pop("payload", {}))
    return {"type": "email", "payload": payload, **overrides}


def report_job(**overrides: Any) -> dict[str, Any]:
    payload = {
        "report_type": "jobs_summary",
        "format": "csv",
        "date_range": {"start": "2026-11-01", "end": "2026-11-24"},
    }
    payload.update(overrides.pop("payload", {}))
    return {"type": "report", "payload": payload, **overrides}


def notification_job(**overrides: Any) -> dict[str, Any]:
    payload = {"user_id": "user-42", "channel": "push", "message": "Your export is ready"}
    payload.update(overrides.pop("payload", {}))
    return {"type": "notification", "payload": payload, **overrides}
