"""GET /jobs: filters, search, sorting, pagination and totals."""

import json
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import create_job, create_jobs, email_job, notification_job, report_job
from tests.servers import uvicorn_server


async def ids_of(api: httpx.AsyncClient, query: str) -> list[str]:
    response = await api.get(f"/jobs?{query}")
    assert response.status_code == 200, response.text
    return [job["id"] for job in response.json()["items"]]


async def test_newest_first_by_default_with_exact_total(api: httpx.AsyncClient) -> None:
    first = await create_jobs(api, [email_job()])
    second = await create_jobs(api, [report_job()])

    page = (await api.get("/jobs")).json()

    assert [job["id"] for job in page["items"]] == [second[0]["id"], first[0]["id"]]
    assert (page["total"], page["total_is_estimate"]) == (2, False)
    assert (page["limit"], page["offset"]) == (20, 0)


async def test_filters_by_status_and_type_repeated_or_comma_separated(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    email, report, notification = await create_jobs(
        api, [email_job(), report_job(), notification_job()]
    )
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
    low, high = await create_jobs(api, [email_job(priority=1), email_job(priority=5)])
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
    jobs = await create_jobs(
        api,
        [
            email_job(priority=2),
            report_job(priority=5),
            notification_job(priority=1),
            email_job(priority=4),
        ],
    )
    await db.execute(
        "UPDATE jobs SET status = 'failed', updated_at = now() + interval '1 minute' WHERE id = $1",
        jobs[1]["id"],
    )

    items = (await api.get(f"/jobs?sort={sort}&order={order}")).json()["items"]

    values = [item[key] for item in items]
    assert values == sorted(values, reverse=order == "desc")


async def test_pages_cover_every_job_once_in_order(api: httpx.AsyncClient) -> None:
    created = await create_jobs(api, [email_job(priority=p % 5 + 1) for p in range(23)])

    seen: list[str] = []
    for offset in range(0, 30, 5):
        page = (await api.get(f"/jobs?sort=priority&order=desc&limit=5&offset={offset}")).json()
        seen += [job["id"] for job in page["items"]]
        assert page["total"] == 23

    assert sorted(seen) == sorted(job["id"] for job in created)
    assert len(seen) == 23


@pytest.mark.parametrize("statuses", ["", "pending", "pending,failed"])
@pytest.mark.parametrize("sort", ["created_at", "status", "priority", "type"])
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_pages_with_pending_jobs_come_in_order_whatever_their_priority(
    api: httpx.AsyncClient, db: asyncpg.Connection, statuses: str, sort: str, order: str
) -> None:
    """Pending jobs are read per priority (and type) from the claim index and merged: check
    the merge."""
    factories = [email_job, notification_job, report_job]
    jobs = await create_jobs(api, [factories[n % 3](priority=n % 5 + 1) for n in range(14)])
    for job, status in zip(jobs, ["failed", "completed", "processing"] * 2, strict=False):
        await db.execute(
            "UPDATE jobs SET status = $2, locked_by = 'r', locked_until = now() WHERE id = $1",
            job["id"],
            status,
        )
    # Creation times interleave priorities and statuses, with a tie broken by id.
    await db.execute(
        "UPDATE jobs SET created_at = '2026-01-01'::timestamptz + (abs(hashtext(id::text)) % 5)"
        " * interval '1 minute'"
    )
    rows = await db.fetch("SELECT id::text, status, priority, type, created_at FROM jobs")
    wanted = [r for r in rows if not statuses or r["status"] in statuses.split(",")]
    key = {
        "created_at": lambda r: (r["created_at"], r["id"]),
        "status": lambda r: (r["status"], r["created_at"], r["id"]),
        "priority": lambda r: (r["priority"], r["created_at"], r["id"]),
        "type": lambda r: (r["type"], r["created_at"], r["id"]),
    }[sort]
    expected = [r["id"] for r in sorted(wanted, key=key, reverse=order == "desc")]

    seen: list[str] = []
    for offset in range(0, 16, 4):
        query = f"sort={sort}&order={order}&limit=4&offset={offset}"
        seen += await ids_of(api, f"{query}&status={statuses}" if statuses else query)

    assert seen == expected


async def test_search_matches_payload_text_case_insensitively(api: httpx.AsyncClient) -> None:
    match, _ = await create_jobs(
        api,
        [
            email_job(payload={"subject": "Quarterly INVOICE ready"}),
            email_job(payload={"subject": "Hi"}),
        ],
    )

    assert await ids_of(api, "q=invoice") == [match["id"]]


async def test_search_matches_an_id_prefix(api: httpx.AsyncClient) -> None:
    jobs = await create_jobs(api, [email_job(), email_job(), email_job()])
    target = jobs[1]["id"]

    found = await ids_of(api, f"q={target[:8]}")

    assert target in found
    assert all(job_id.startswith(target[:8]) or job_id == target for job_id in found)


async def test_search_finds_jobs_created_one_by_one_and_in_batches(
    api: httpx.AsyncClient,
) -> None:
    single = await create_job(api, email_job(payload={"subject": "Your parcel left"}))
    batched = await create_jobs(
        api,
        [
            notification_job(payload={"message": "parcel delivered"}),
            report_job(),
            email_job(payload={"body": "A PARCEL for you"}),
        ],
    )

    found = await ids_of(api, "q=parcel")

    assert set(found) == {single["id"], batched[0]["id"], batched[2]["id"]}
    page = (await api.get("/jobs?q=parcel&type=email")).json()
    assert (page["total"], page["total_is_estimate"]) == (2, False)


async def test_search_finds_jobs_inserted_straight_into_the_table(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Seed scripts and benchmark loaders INSERT INTO jobs in SQL, many rows at a time."""
    await db.execute(
        "INSERT INTO jobs (type, payload) SELECT 'notification', jsonb_build_object("
        "'user_id', 'u' || n, 'channel', 'push', 'message', 'loaded row ' || n)"
        " FROM generate_series(1, 30) AS n"
    )

    page = (await api.get("/jobs?q=loaded%20row%2017")).json()

    assert [job["payload"]["message"] for job in page["items"]] == ["loaded row 17"]
    assert await db.fetchval("SELECT count(*) FROM job_search") == 30


async def test_search_follows_cancelled_and_deleted_jobs(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    kept, cancelled, deleted = await create_jobs(
        api, [email_job(payload={"subject": f"Renewal notice {n}"}) for n in range(3)]
    )
    assert (await api.delete(f"/jobs/{cancelled['id']}")).status_code == 200
    await db.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", deleted["id"])
    bulk = await api.post("/jobs/bulk", json={"action": "delete", "ids": [deleted["id"]]})
    assert bulk.json()["succeeded"] == [deleted["id"]]

    assert set(await ids_of(api, "q=renewal")) == {kept["id"], cancelled["id"]}
    assert await ids_of(api, "q=renewal&status=cancelled") == [cancelled["id"]]
    assert (
        await db.fetchval("SELECT count(*) FROM job_search WHERE job_id = $1", deleted["id"]) == 0
    )


async def test_search_text_is_exactly_the_payload_as_postgresql_prints_it(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await create_jobs(api, [notification_job(payload={"message": 'tab\there, "quoted", ünï'})])

    mismatches = await db.fetchval(
        "SELECT count(*) FROM jobs FULL JOIN job_search ON job_search.job_id = jobs.id"
        " WHERE job_search.payload_text IS DISTINCT FROM jobs.payload::text"
    )

    assert mismatches == 0


async def test_search_follows_a_changed_payload(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    (job,) = await create_jobs(api, [notification_job(payload={"message": "before"})])
    await db.execute(
        'UPDATE jobs SET payload = payload || \'{"message": "after"}\' WHERE id = $1',
        job["id"],
    )

    assert await ids_of(api, "q=after") == [job["id"]]
    assert await ids_of(api, "q=before") == []


async def test_search_by_id_prefix_or_text_combines_both(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A hex-looking q (a date, "cafe") is both an id prefix and text to look for."""
    by_text, neither = await create_jobs(
        api,
        [
            report_job(payload={"date_range": {"start": "2026-10-01", "end": "2026-10-31"}}),
            report_job(),
        ],
    )
    by_id = "20261001-0000-4000-8000-000000000000"
    await db.execute(
        "INSERT INTO jobs (id, type, payload) VALUES ($1, 'report', $2::jsonb)",
        by_id,
        json.dumps(report_job()["payload"]),
    )

    found = await ids_of(api, "q=2026-10-01")

    assert set(found) == {by_text["id"], by_id}
    assert neither["id"] not in found
    for query in ("q=2026-10-01", "q=2026-10-01&type=report"):  # counted with and without jobs
        page = (await api.get(f"/jobs?{query}")).json()
        assert (page["total"], page["total_is_estimate"]) == (2, False)


@pytest.mark.parametrize("needle", ["100%", "a_b", "back\\slash", 'say "hi"', "ünïcödé"])
async def test_search_takes_special_characters_literally(
    api: httpx.AsyncClient, needle: str
) -> None:
    match, _decoy = await create_jobs(
        api,
        [
            notification_job(payload={"message": f"look: {needle} here"}),
            notification_job(
                payload={"message": "look: 100 percent, axb, backslash, say hi, unicode"}
            ),
        ],
    )

    response = await api.get("/jobs", params={"q": needle})

    assert [job["id"] for job in response.json()["items"]] == [match["id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=done", "status"),
        ("type=Not-a-type", "type"),  # a name no type can have
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


def producer_api_with(database_url: str, **settings: str) -> Iterator[str]:
    """A producer API of its own, with these settings (as environment variables)."""
    env = {"DATABASE_URL": database_url, **{name.upper(): v for name, v in settings.items()}}
    with uvicorn_server("producer_api.main:app", env) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def small_bound_api(database_url: str) -> Iterator[str]:
    yield from producer_api_with(database_url, exact_count_limit="100")


async def test_total_past_the_bound_is_flagged_as_an_estimate(
    api: httpx.AsyncClient, small_bound_api: str, tokens: dict[Role, str]
) -> None:
    await create_jobs(api, [email_job(priority=4)] * 150)
    viewer = bearer(tokens[Role.VIEWER])
    async with httpx.AsyncClient(base_url=small_bound_api, headers=viewer) as bounded:
        filtered = (await bounded.get("/jobs?priority=4&limit=1")).json()
        by_status = (await bounded.get("/jobs?status=pending&limit=1")).json()
        few = (await bounded.get("/jobs?priority=1")).json()

    assert filtered["total_is_estimate"] is True
    assert filtered["total"] > 100
    assert (by_status["total"], by_status["total_is_estimate"]) == (150, False)
    assert (few["total"], few["total_is_estimate"]) == (0, False)


@pytest.fixture(scope="module")
def impatient_count_api(database_url: str) -> Iterator[str]:
    yield from producer_api_with(database_url, exact_count_timeout_ms="1")


@pytest.fixture(scope="module")
def patient_count_api(database_url: str) -> Iterator[str]:
    # A busy CI machine must not turn the exact count this test compares with into an estimate.
    yield from producer_api_with(database_url, exact_count_timeout_ms="60000")


async def test_a_count_past_its_time_limit_gives_a_flagged_estimate(
    impatient_count_api: str,
    patient_count_api: str,
    db: asyncpg.Connection,
    tokens: dict[Role, str],
) -> None:
    await db.execute(
        """INSERT INTO jobs (type, payload)
           SELECT 'email', jsonb_build_object('to', 'a@example.com', 'body',
                  CASE WHEN n % 10 = 0 THEN 'lighthouse keeper ' ELSE 'harbour pilot ' END || n)
           FROM generate_series(1, 20000) AS n"""
    )
    await db.execute("ANALYZE jobs, job_search")
    query = "/jobs?q=lighthouse&status=pending&limit=5"

    viewer = bearer(tokens[Role.VIEWER])
    async with httpx.AsyncClient(base_url=patient_count_api, headers=viewer) as patient_api:
        patient = (await patient_api.get(query)).json()
    async with httpx.AsyncClient(base_url=impatient_count_api, headers=viewer) as impatient:
        hurried = (await impatient.get(query)).json()

    assert (patient["total"], patient["total_is_estimate"]) == (2000, False)
    assert hurried["total_is_estimate"] is True
    assert 500 < hurried["total"] < 8000  # the planner's guess, in the right range
    assert [job["id"] for job in hurried["items"]] == [job["id"] for job in patient["items"]]
