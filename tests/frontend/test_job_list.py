"""/jobs: search, filters, sorting, pages, the URL as the state, empty states, bulk actions."""

import re
from collections.abc import Iterator

import httpx
import pytest

from jobdeck_access.roles import Role
from tests.factories import create_job, create_jobs, email_job, notification_job, report_job
from tests.frontend.arrange import claim, complete, dashboard, signed_in
from tests.servers import uvicorn_server

RESULTS = {"HX-Request": "true", "HX-Target": "results"}


def listed_ids(page: str) -> list[str]:
    return re.findall(r'name="ids" value="([0-9a-f-]{36})"', page)


async def test_filters_and_search_narrow_the_list(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    welcome = await create_job(api, email_job(payload={"subject": "Welcome Grace"}))
    await create_job(api, email_job(payload={"subject": "Invoice"}))
    urgent = await create_job(api, notification_job(priority=5))
    await create_job(api, report_job())

    assert listed_ids((await web.get("/jobs?q=grace")).text) == [welcome["id"]]
    assert listed_ids((await web.get("/jobs?type=notification")).text) == [urgent["id"]]
    assert listed_ids((await web.get("/jobs?priority=5")).text) == [urgent["id"]]
    assert len(listed_ids((await web.get("/jobs?type=email&type=report")).text)) == 3
    assert listed_ids((await web.get(f"/jobs?q={urgent['id'][:8]}")).text) == [urgent["id"]]


async def test_status_filter_and_sorting(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    done = await create_job(api, email_job(priority=3))
    await claim(worker, done)
    await complete(worker, done)
    low = await create_job(api, email_job(priority=1))
    high = await create_job(api, email_job(priority=5))

    by_priority = listed_ids((await web.get("/jobs?sort=priority&order=desc")).text)
    pending = listed_ids((await web.get("/jobs?status=pending&sort=priority&order=asc")).text)

    assert by_priority == [high["id"], done["id"], low["id"]]
    assert pending == [low["id"], high["id"]]


async def test_the_results_fragment_pushes_the_tidy_url(web: httpx.AsyncClient) -> None:
    response = await web.get(
        "/jobs?q=&status=failed&priority=&limit=20&sort=created_at&order=desc", headers=RESULTS
    )

    assert response.text.lstrip().startswith('<div id="results"')
    assert response.headers["HX-Push-Url"] == "/jobs?status=failed"
    assert 'id="filters"' not in response.text  # the search box is left alone while typing


async def test_sort_headers_and_pages_link_to_their_state(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    for _ in range(3):
        await create_job(api)

    page = (await web.get("/jobs?limit=10&status=pending&sort=priority")).text
    second = (await web.get("/jobs?limit=10&page=2")).text

    assert 'href="/jobs?status=pending&amp;sort=priority&amp;order=asc&amp;limit=10"' in page
    assert 'aria-sort="descending"' in page
    assert "Page 1 of 1" in page
    assert "This page is empty" in second


async def test_a_long_list_has_pages_of_the_chosen_size(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await create_jobs(api, [email_job() for _ in range(25)])

    first = (await web.get("/jobs?limit=10")).text
    last = (await web.get("/jobs?limit=10&page=3")).text

    assert len(listed_ids(first)) == 10
    assert "1–10 of 25 jobs" in first
    assert 'href="/jobs?limit=10&amp;page=2"' in first
    assert len(listed_ids(last)) == 5
    assert "Page 3 of 3" in last


async def test_nonsense_in_the_url_is_ignored(web: httpx.AsyncClient) -> None:
    response = await web.get("/jobs?status=bogus&sort=drop+table&limit=9999&page=-3&priority=9")

    assert response.status_code == 200


async def test_empty_and_no_result_states(web: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    empty = (await web.get("/jobs")).text
    await create_job(api)
    no_match = (await web.get("/jobs?q=nothing-like-this")).text

    assert "No jobs yet" in empty
    assert "No jobs match" in no_match
    assert 'href="/jobs"' in no_match  # clear filters


async def test_a_bulk_action_asks_first_and_changes_nothing(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    job = await create_job(api)

    response = await web.post(
        "/jobs/bulk", data={"action": "cancel", "ids": [job["id"]], "list_query": "status=pending"}
    )

    assert response.status_code == 200
    assert "Cancel 1 selected job?" in response.text
    assert f'name="ids" value="{job["id"]}" aria-label' in response.text  # still ticked
    assert 'name="confirmed" value="yes"' in response.text
    assert (await api.get(f"/jobs/{job['id']}")).json()["status"] == "pending"


async def test_a_confirmed_bulk_action_reports_what_was_done_and_skipped(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    running = await create_job(api)
    await claim(worker, running)
    pending = await create_job(api)

    response = await web.post(
        "/jobs/bulk",
        data={"action": "cancel", "ids": [pending["id"], running["id"]], "confirmed": "yes"},
    )

    assert response.status_code == 200
    assert "Cancelled: 1 of 2 jobs." in response.text
    assert "Skipped 1:" in response.text
    assert "only pending jobs can be cancelled; it is processing" in response.text
    assert (await api.get(f"/jobs/{pending['id']}")).json()["status"] == "cancelled"


async def test_a_bulk_action_without_a_selection_says_so(web: httpx.AsyncClient) -> None:
    response = await web.post("/jobs/bulk", data={"action": "delete"})

    assert "Select at least one job first." in response.text


@pytest.fixture(scope="module")
def estimating_frontend_url(database_url: str) -> Iterator[str]:
    """An API that counts exactly only up to 100 jobs, and a dashboard in front of it."""
    env = {"DATABASE_URL": database_url, "EXACT_COUNT_LIMIT": "100"}
    with uvicorn_server("producer_api.main:app", env) as api_url, dashboard(api_url) as url:
        yield url


async def test_an_estimated_total_is_marked_as_such(
    api: httpx.AsyncClient, estimating_frontend_url: str, tokens: dict[Role, str]
) -> None:
    await create_jobs(api, [email_job() for _ in range(150)])

    async with signed_in(estimating_frontend_url, tokens[Role.VIEWER]) as web:
        page = (await web.get("/jobs?q=example")).text

    assert re.search(r"<abbr title=\"An estimate[^\"]*\">about [\d,]+</abbr>", page)
    assert "of 8 " not in page  # no page count is promised from an estimate
