"""Valid job requests with defaults, overridable per test; jobs created from them through the
producer API (the way every client creates them), or inserted straight into the table when a
test needs a big queue or columns no client may set."""

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx


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


async def create_job(api: httpx.AsyncClient, job: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST /jobs (an e-mail job unless told otherwise); the created job."""
    response = await api.post("/jobs", json=job or email_job())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_jobs(api: httpx.AsyncClient, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST /jobs/batch; the created jobs, in order."""
    response = await api.post("/jobs/batch", json={"jobs": jobs})
    assert response.status_code == 201, response.text
    created: list[dict[str, Any]] = response.json()["jobs"]
    return created


def custom_type(**overrides: Any) -> dict[str, Any]:
    """A custom job type's registration (PUT /job-types/{name} body): an image to resize."""
    schema = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "width": {"type": "integer", "minimum": 1, "maximum": 10_000},
            "format": {"enum": ["png", "jpeg", "webp"]},
            "sharpen": {"type": "boolean"},
        },
        "required": ["url", "width"],
        "additionalProperties": False,
    }
    return {
        "schema": overrides.pop("schema", schema),
        "description": "Resize an image",
        **overrides,
    }


def custom_job(job_type: str = "resize_image", **overrides: Any) -> dict[str, Any]:
    """A job of the custom_type() registration."""
    payload = {"url": "https://example.com/cat.png", "width": 640}
    payload.update(overrides.pop("payload", {}))
    return {"type": job_type, "payload": payload, **overrides}


async def register_type(
    api: httpx.AsyncClient, name: str = "resize_image", registration: dict[str, Any] | None = None
) -> dict[str, Any]:
    """PUT /job-types/{name} (custom_type() unless told otherwise); the type as registered."""
    response = await api.put(f"/job-types/{name}", json=registration or custom_type())
    assert response.status_code in (200, 201), response.text
    registered: dict[str, Any] = response.json()
    return registered


async def change_controls(api: httpx.AsyncClient, name: str, **controls: Any) -> dict[str, Any]:
    """PATCH /job-types/{name}, as an operator steers a type: only the controls given change."""
    response = await api.patch(f"/job-types/{name}", json=controls)
    assert response.status_code == 200, response.text
    changed: dict[str, Any] = response.json()
    return changed


_COLUMN_TYPES = {
    "priority": "smallint",
    "attempts": "integer",
    "max_attempts": "integer",
    "payload": "jsonb",
    "created_at": "timestamptz",
    "scheduled_for": "timestamptz",
    "completed_at": "timestamptz",
    "updated_at": "timestamptz",
    "locked_until": "timestamptz",
}


async def insert_jobs(db: asyncpg.Connection, count: int = 1, **columns: Any) -> list[str]:
    """Insert pending jobs straight into the table (faster than the API for big queues).
    Column values are given as text, as you would write them in SQL."""
    values = {"type": "email", "priority": 3, "payload": '{"to": "a@example.com"}', **columns}
    names = ", ".join(values)
    placeholders = ", ".join(
        f"${i + 2}::text::{_COLUMN_TYPES.get(name, 'text')}" for i, name in enumerate(values)
    )
    rows = await db.fetch(
        f"INSERT INTO jobs ({names}) SELECT {placeholders} FROM generate_series(1, $1) "
        "RETURNING id",
        count,
        *(str(value) for value in values.values()),
    )
    return [str(row["id"]) for row in rows]


async def insert_finished_jobs(
    db: asyncpg.Connection, count: int, status: str, finished_days_ago: float, **columns: Any
) -> list[str]:
    """Jobs that finished (completed, failed or cancelled) that many days ago, as the
    cleaner and the export find them."""
    finished = datetime.now(UTC) - timedelta(days=finished_days_ago)
    when = {"created_at": finished, "updated_at": finished}
    if status == "completed":
        when["completed_at"] = finished
    return await insert_jobs(db, count, status=status, **when, **columns)


def schedule(**overrides: Any) -> dict[str, Any]:
    """A schedule's creation (POST /schedules body): an e-mail every 10 minutes, UTC."""
    return {"name": "digest", "cron": "*/10 * * * *", "job": email_job(), **overrides}


async def create_schedule(
    api: httpx.AsyncClient, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST /schedules (schedule() unless told otherwise); the schedule created."""
    response = await api.post("/schedules", json=body or schedule())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
