"""/: stat cards, the throughput chart's data, recent jobs, self-refresh (runners: test_workers)."""

import json
import re

import httpx

from tests.factories import create_job, notification_job, report_job
from tests.frontend.arrange import claim, complete


def stat(page: str, status: str) -> int:
    card = re.search(rf'class="stat stat-{status}".*?class="stat-value">([\d,]+)<', page, re.S)
    assert card, f"no {status} card"
    return int(card.group(1).replace(",", ""))


async def test_a_card_per_status_counts_the_jobs(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    jobs = [await create_job(api) for _ in range(3)]  # one by one: the oldest is claimed first
    await claim(worker, jobs[0])
    await complete(worker, jobs[0])
    await claim(worker, jobs[1])

    page = (await web.get("/")).text

    counts = {s: stat(page, s) for s in ("pending", "processing", "completed", "failed")}
    assert counts == {"pending": 1, "processing": 1, "completed": 1, "failed": 0}
    assert 'href="/jobs?status=pending"' in page


async def test_the_chart_gets_the_window_asked_for(web: httpx.AsyncClient) -> None:
    hour, week = (await web.get("/")).text, (await web.get("/?window=7d")).text

    def series(page: str) -> dict[str, list[int]]:
        found = re.search(r"data-series='([^']*)'", page)
        assert found
        return json.loads(found.group(1))

    assert len(series(hour)["t"]) == 60
    assert len(series(week)["t"]) == 28
    assert "in the last 7 days" in week
    assert 'href="/?window=24h"' in week


async def test_an_unknown_window_falls_back_to_the_last_hour(web: httpx.AsyncClient) -> None:
    page = (await web.get("/?window=forever")).text

    assert "in the last hour" in page


async def test_recent_jobs_are_listed_newest_first(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    older = await create_job(api, report_job())
    newer = await create_job(api, notification_job())

    page = (await web.get("/")).text

    assert page.index(newer["id"][:8]) < page.index(older["id"][:8])


async def test_no_jobs_yet_invites_to_create_one(web: httpx.AsyncClient) -> None:
    page = (await web.get("/")).text

    assert "No jobs yet" in page
    assert 'href="/jobs/new"' in page


async def test_the_live_part_polls_itself_with_the_chosen_window(web: httpx.AsyncClient) -> None:
    live = (await web.get("/?window=24h", headers={"HX-Request": "true", "HX-Target": "live"})).text

    assert 'hx-get="/?window=24h"' in live
    assert 'hx-trigger="every ' in live
    assert "data-poll" in live
