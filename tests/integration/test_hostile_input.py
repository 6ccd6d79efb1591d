"""What a client may send the producer API that PostgreSQL or Python cannot hold: each is a
422 naming the field, and nothing is written."""

import asyncpg
import httpx
import pytest

from tests.factories import create_job, email_job, report_job

# A valid ISO 8601 time whose UTC is in year 10000, past what Python's datetime can hold.
PAST_THE_LAST_YEAR = "9999-12-31T23:59:59-01:00"
# And one whose UTC is in year 0.
BEFORE_THE_FIRST_YEAR = "0001-01-01T00:00:00+01:00"


@pytest.mark.parametrize("when", [PAST_THE_LAST_YEAR, BEFORE_THE_FIRST_YEAR])
async def test_a_schedule_utc_cannot_hold_is_refused_naming_it(
    api: httpx.AsyncClient, db: asyncpg.Connection, when: str
) -> None:
    response = await api.post("/jobs", json=email_job(scheduled_for=when))

    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "scheduled_for"
    assert "in UTC" in error["msg"]
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


async def test_the_last_microsecond_python_holds_is_refused_too(api: httpx.AsyncClient) -> None:
    # asyncpg would send it as PostgreSQL's `infinity`, which no interval can be taken from.
    response = await api.post("/jobs", json=email_job(scheduled_for="9999-12-31T23:59:59.999999Z"))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "scheduled_for"


async def test_a_schedule_in_another_zone_is_answered_in_utc(api: httpx.AsyncClient) -> None:
    created = await create_job(api, email_job(scheduled_for="2030-01-02T03:04:05+05:30"))

    assert created["scheduled_for"] == "2030-01-01T21:34:05Z"


async def test_a_batch_with_a_schedule_utc_cannot_hold_names_its_index_and_writes_nothing(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    batch = [email_job(), email_job(scheduled_for=PAST_THE_LAST_YEAR)]

    response = await api.post("/jobs/batch", json={"jobs": batch})

    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][:3] == ["body", "jobs", 1]
    assert error["loc"][-1] == "scheduled_for"
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


@pytest.mark.parametrize("parameter", ["created_after", "created_before"])
@pytest.mark.parametrize("when", [PAST_THE_LAST_YEAR, BEFORE_THE_FIRST_YEAR])
async def test_a_list_filter_utc_cannot_hold_is_refused_naming_it(
    api: httpx.AsyncClient, parameter: str, when: str
) -> None:
    response = await api.get("/jobs", params={parameter: when})

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", parameter]


async def test_list_filters_in_another_zone_compare_the_same_instant(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await create_job(api)
    await db.execute("UPDATE jobs SET created_at = '2030-01-01T12:00:00Z' WHERE id = $1", job["id"])

    after = await api.get("/jobs", params={"created_after": "2030-01-01T13:00:00+02:00"})
    before = await api.get("/jobs", params={"created_before": "2030-01-01T13:00:00+02:00"})

    assert [item["id"] for item in after.json()["items"]] == [job["id"]]
    assert before.json()["items"] == []


async def test_a_report_ending_on_the_last_day_python_holds_is_refused_naming_it(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # The report reads up to the end of its last day: the day after 9999-12-31 is in year 10000.
    job = report_job(payload={"date_range": {"start": "2026-01-01", "end": "9999-12-31"}})

    response = await api.post("/jobs", json=job)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-2:] == ["date_range", "end"]
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # A lone surrogate: json.loads makes it, it is not a string pydantic (or UTF-8) accepts.
        (
            b'{"type": "email", "payload": {"to": "ada@example.com", "subject": "\\ud800",'
            b' "body": "Hello"}}',
            "subject",
        ),
        (b'{"type": "email", "priority": NaN, "payload": {}}', "priority"),
        (b'{"type": "email", "max_attempts": -Infinity, "payload": {}}', "max_attempts"),
    ],
)
async def test_a_refused_value_that_json_cannot_echo_is_still_a_422_naming_it(
    api: httpx.AsyncClient, db: asyncpg.Connection, body: bytes, field: str
) -> None:
    response = await api.post("/jobs", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422, response.text
    locations = [error["loc"] for error in response.json()["detail"]]
    assert any(location[-1] == field for location in locations), locations
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0
