"""GET /jobs: filters, search, sorting, pagination and totals."""

from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from tests.factories import email_job, notification_job, report_job
from tests.servers import uvicorn_server


async def create(api: httpx.AsyncClient, *jobs: dict) -> list[dict]:
    response = await api.post("/jobs/batch", json={"jobs": list(jobs)})
    assert response.status_code == 201, response.text
    return response.json()["jobs"]


async def ids_of(api: httpx.AsyncClient, query: str) -> list[str]:
    response = await api.get(f"/jobs?{query}")
    assert response.status_code == 200, response.text
    return [job["id"] for job in response.json()["items"]]


async def test_newest_first_by_default_with_exact_total(api: httpx.AsyncClient) -> None:
    first = await create(api, email_job())
    second = await create(api, report_job())

    page = (await api.get("/jobs")).json()

    assert [job["id"] for job in page["items"]] == [second[0]["id"], first[0]["id"]]
    assert (page["total"], page["total_is_estimate"]) == (2, False)
    assert (page["limit"], page["offset"]) == (20, 0)


async def test_filters_by_status_and_type_repeated_or_comma_separated(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    email, report, notification = await create(api, email_job(), report_job(), notification_job())
    await db.execute("UPDATE jobs SET status = 'cancelled' WHERE id = $1", email["id"])

    assert await ids_of(api, "status=cancelled") == [email["id"]]
    assert set(await ids_of(api, "type=report,notification")) == {report["id"], notification["id"]}
    assert set(await ids_of(api, "type=report&type=email")) == {report["id"], email["id"]}
    assert await ids_of(api, "status=pending&type=email") == []
    page = (await api.get("/jobs?status=pending")).json()
    assert (page["total"], page["total_is_estimate"]) == (2, False)


async def test_filters_by_priority_and_creation_time(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    low, high = await create(api, email_job(priority=1), email_job(priority=5))
    await db.execute("UPDATE jobs SET created_at = '2026-01-01T00:00:00Z' WHERE id = $1", low["id"])

    assert await ids_of(api, "priority=5") == [high["id"]]
    assert await ids_of(api, "created_before=2026-02-01T00:00:00Z") == [low["id"]]
    assert await ids_of(api, "created_after=2026-02-01T00:00:00Z") == [high["id"]]


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("priority", "priority"),
        ("status", "status"),
        ("type", "type"),
        ("updated_at", "updated_at"),
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_sorts_by_each_column_in_both_directions(
    api: httpx.AsyncClient, db: asyncpg.Connection, sort: str, key: str, order: str
) -> None:
    jobs = await create(
        api,
        email_job(priority=2),
        report_job(priority=5),
        notification_job(priority=1),
        email_job(priority=4),
    )
    await db.execute(
        "UPDATE jobs SET status = 'failed', updated_at = now() + interval '1 minute' WHERE id = $1",
        jobs[1]["id"],
    )

    items = (await api.get(f"/jobs?sort={sort}&order={order}")).json()["items"]

    values = [item[key] for item in items]
    assert values == sorted(values, reverse=order == "desc")


async def test_pages_cover_every_job_once_in_order(api: httpx.AsyncClient) -> None:
    created = await create(api, *[email_job(priority=p % 5 + 1) for p in range(23)])

    seen: list[str] = []
    for offset in range(0, 30, 5):
        page = (await api.get(f"/jobs?sort=priority&order=desc&limit=5&offset={offset}")).json()
        seen += [job["id"] for job in page["items"]]
        assert page["total"] == 23

    assert sorted(seen) == sorted(job["id"] for job in created)
    assert len(seen) == 23


async def test_search_matches_payload_text_case_insensitively(api: httpx.AsyncClient) -> None:
    match, _ = await create(
        api,
        email_job(payload={"subject": "Quarterly INVOICE ready"}),
        email_job(payload={"subject": "Hi"}),
    )

    assert await ids_of(api, "q=invoice") == [match["id"]]


async def test_search_matches_an_id_prefix(api: httpx.AsyncClient) -> None:
    jobs = await create(api, email_job(), email_job(), email_job())
    target = jobs[1]["id"]

    found = await ids_of(api, f"q={target[:8]}")

    assert target in found
    assert all(job_id.startswith(target[:8]) or job_id == target for job_id in found)


@pytest.mark.parametrize("needle", ["100%", "a_b", "back\\slash", 'say "hi"', "ünïcödé"])
async def test_search_takes_special_characters_literally(
    api: httpx.AsyncClient, needle: str
) -> None:
    match, _decoy = await create(
        api,
        notification_job(payload={"message": f"look: {needle} here"}),
        notification_job(payload={"message": "look: 100 percent, axb, backslash, say hi, unicode"}),
    )

    response = await api.get("/jobs", params={"q": needle})

    assert [job["id"] for job in response.json()["items"]] == [match["id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=done", "status"),
        ("type=fax", "type"),
        ("priority=9", "priority"),
        ("sort=color", "sort"),
        ("order=sideways", "order"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("created_after=yesterday", "created_after"),
        ("q=%00", "q"),
    ],
)
async def test_bad_parameter_is_a_422_naming_it(
    api: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await api.get(f"/jobs?{query}")

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", field]]


@pytest.fixture(scope="module")
def small_bound_api(database_url: str) -> Iterator[str]:
    env = {"DATABASE_URL": database_url, "EXACT_COUNT_LIMIT": "100"}
    with uvicorn_server("producer_api.main:app", env) as base_url:
        yield base_url


async def test_total_past_the_bound_is_flagged_as_an_estimate(
    api: httpx.AsyncClient, small_bound_api: str
) -> None:
    await create(api, *[email_job(priority=4)] * 150)
    async with httpx.AsyncClient(base_url=small_bound_api) as bounded:
        filtered = (await bounded.get("/jobs?priority=4&limit=1")).json()
        by_status = (await bounded.get("/jobs?status=pending&limit=1")).json()
        few = (await bounded.get("/jobs?priority=1")).json()

    assert filtered["total_is_estimate"] is True
    assert filtered["total"] > 100
    assert (by_status["total"], by_status["total_is_estimate"]) == (150, False)
    assert (few["total"], few["total_is_estimate"]) == (0, False)
