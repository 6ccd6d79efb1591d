"""POST /jobs and POST /jobs/batch."""

import asyncio

import asyncpg
import httpx
import pytest

from tests.factories import create_job, email_job, notification_job, report_job


@pytest.mark.parametrize(
    "job", [email_job(), report_job(), notification_job()], ids=lambda j: j["type"]
)
async def test_each_type_is_created_pending_with_defaults(
    api: httpx.AsyncClient, job: dict
) -> None:
    response = await api.post("/jobs", json=job)

    assert response.status_code == 201
    created = response.json()
    assert created["type"] == job["type"]
    assert created["status"] == "pending"
    assert created["priority"] == 3
    assert created["max_attempts"] == 3
    assert created["attempts"] == 0
    assert created["payload"] == job["payload"]
    assert created["created_at"].endswith("Z")


async def test_creation_is_recorded_as_the_first_event(api: httpx.AsyncClient) -> None:
    created = await create_job(api)

    detail = (await api.get(f"/jobs/{created['id']}")).json()

    assert [(e["kind"], e["attempt"]) for e in detail["events"]] == [("created", 0)]


async def test_schedule_without_zone_is_taken_as_utc(api: httpx.AsyncClient) -> None:
    job = email_job(scheduled_for="2030-01-02T03:04:05", priority=5, max_attempts=7)

    created = (await api.post("/jobs", json=job)).json()

    assert created["scheduled_for"] == "2030-01-02T03:04:05Z"
    assert (created["priority"], created["max_attempts"]) == (5, 7)


@pytest.mark.parametrize(
    ("job", "field"),
    [
        (email_job(payload={"to": "not-an-address"}), "to"),
        (email_job(payload={"subject": ""}), "subject"),
        (email_job(payload={"subject": "x" * 201}), "subject"),
        (email_job(payload={"body": "x" * 10_001}), "body"),
        (email_job(payload={"body": "nul \u0000 inside"}), "body"),
        (email_job(payload={"cc": "someone@example.com"}), "cc"),
        (report_job(payload={"format": "xlsx"}), "format"),
        (report_job(payload={"report_type": "everything"}), "report_type"),
        (
            report_job(payload={"date_range": {"start": "2026-11-24", "end": "2026-11-01"}}),
            "date_range",
        ),
        (report_job(payload={"date_range": {"start": "yesterday", "end": "2026-11-01"}}), "start"),
        (notification_job(payload={"channel": "pigeon"}), "channel"),
        (notification_job(payload={"user_id": "u" * 101}), "user_id"),
        (notification_job(payload={"message": ""}), "message"),
        (email_job(priority=0), "priority"),
        (email_job(priority=6), "priority"),
        (email_job(priority="high"), "priority"),
        (email_job(max_attempts=26), "max_attempts"),
        (email_job(scheduled_for="soon"), "scheduled_for"),
        (email_job(color="blue"), "color"),
        ({"type": "fax", "payload": {}}, "type"),
        ({"payload": {}}, "type"),
    ],
)
async def test_invalid_job_is_refused_naming_the_field(
    api: httpx.AsyncClient, db: asyncpg.Connection, job: dict, field: str
) -> None:
    response = await api.post("/jobs", json=job)

    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert any(field in location for location in locations), locations
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'"a string"', b"", b'{"type": "email", "payload": "text"}'],
)
async def test_malformed_body_is_a_422_not_a_500(api: httpx.AsyncClient, body: bytes) -> None:
    response = await api.post("/jobs", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json()["detail"]


async def test_oversized_body_is_refused_with_413(api: httpx.AsyncClient) -> None:
    response = await api.post("/jobs", content=b"x" * (17 * 1024 * 1024))

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


async def test_idempotent_replay_returns_the_same_job(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    headers = {"Idempotency-Key": "order-7"}
    first = await api.post("/jobs", json=email_job(), headers=headers)
    replay = await api.post("/jobs", json=email_job(), headers=headers)

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    assert await db.fetchval("SELECT count(*) FROM jobs") == 1


async def test_replay_with_defaults_spelled_out_is_the_same_request(api: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "order-8"}
    first = await api.post("/jobs", json=email_job(), headers=headers)
    explicit = await api.post("/jobs", json=email_job(priority=3, max_attempts=3), headers=headers)

    assert explicit.status_code == 200
    assert explicit.json()["id"] == first.json()["id"]


async def test_same_key_with_another_body_is_a_conflict(api: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "order-9"}
    await api.post("/jobs", json=email_job(), headers=headers)

    response = await api.post("/jobs", json=email_job(priority=5), headers=headers)

    assert response.status_code == 409
    assert "order-9" in response.json()["detail"]


async def test_concurrent_requests_with_one_key_create_one_job(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    headers = {"Idempotency-Key": "burst"}

    responses = await asyncio.gather(
        *(api.post("/jobs", json=email_job(), headers=headers) for _ in range(20))
    )

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await db.fetchval("SELECT count(*) FROM jobs") == 1
    # The replays' INSERT … ON CONFLICT DO NOTHING inserted nothing: one search row.
    assert await db.fetchval("SELECT count(*) FROM job_search") == 1


async def test_batch_creates_all_jobs_in_order(api: httpx.AsyncClient) -> None:
    batch = [email_job(priority=p) for p in (1, 2, 3, 4, 5)] + [report_job(), notification_job()]

    response = await api.post("/jobs/batch", json={"jobs": batch})

    assert response.status_code == 201
    jobs = response.json()["jobs"]
    assert [job["type"] for job in jobs] == [job["type"] for job in batch]
    assert [job["priority"] for job in jobs[:5]] == [1, 2, 3, 4, 5]


async def test_batch_with_one_bad_item_names_its_index_and_writes_nothing(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    batch = [email_job(), email_job(), email_job(payload={"to": "broken"}), report_job()]

    response = await api.post("/jobs/batch", json={"jobs": batch})

    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert all(location[:3] == ["body", "jobs", 2] for location in locations), locations
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


async def test_batch_of_a_thousand_is_accepted(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    response = await api.post("/jobs/batch", json={"jobs": [notification_job()] * 1000})

    assert response.status_code == 201
    assert await db.fetchval("SELECT count(*) FROM jobs") == 1000
    assert await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'created'") == 1000


async def test_batch_over_the_limit_is_a_413(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    response = await api.post("/jobs/batch", json={"jobs": [notification_job()] * 1001})

    assert response.status_code == 413
    assert "1001" in response.json()["detail"]
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


async def test_empty_batch_is_a_422_naming_the_list(api: httpx.AsyncClient) -> None:
    response = await api.post("/jobs/batch", json={"jobs": []})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "jobs"]
