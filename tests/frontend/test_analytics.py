"""/analytics: the figures as tables (no JavaScript needed), chart data, the heatmap, roles."""

import html
import json
import re
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from tests.factories import create_job, email_job, insert_jobs
from tests.frontend.arrange import claim


async def failed_job(api: httpx.AsyncClient, worker: httpx.AsyncClient, message: str) -> str:
    job = await create_job(api, email_job())
    await claim(worker, job)
    response = await worker.post(f"/fail/{job['id']}", json={"error": message, "retryable": False})
    assert response.json()["status"] == "failed"
    return str(job["id"])


def charts(page: str) -> list[dict]:
    found = re.findall(r"data-series='([^']*)'", page)
    return [json.loads(html.unescape(series)) for series in found]


async def test_the_page_shows_figures_groups_and_heatmap_as_tables(
    web_viewer: httpx.AsyncClient,
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    db: asyncpg.Connection,
) -> None:
    job_id = await failed_job(api, worker, "Connection refused to 10.0.0.12:5432")
    created = datetime.now(UTC) - timedelta(days=2)
    await insert_jobs(db, 4, type="report", created_at=created.isoformat())

    page = (await web_viewer.get("/analytics?window=24h")).text

    email_row = r'<th scope="row"><a href="/jobs\?type=email">email</a></th>(.*?)</tr>'
    row = re.search(email_row, page, re.S)
    assert row, "no row for the email type"
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert cells[:3] == ["0", "1", "0.0%"]  # completed, failed, success rate
    assert "Connection refused to &lt;ip&gt;" in page
    group = re.search(r'href="/jobs\?error_group=([0-9a-f]{16})"', page)
    assert group
    assert f'href="/jobs/{job_id}"' in page
    heat = f'title="{created:%a} {created.hour:02d}:00 UTC: 4 jobs">4</td>'
    assert heat in page
    # A viewer sees the groups, not the buttons that act on them.
    assert "Retry all" not in page
    throughput = charts(page)[0]
    assert throughput["unit"] == "jobs" and len(throughput["t"]) == 24
    assert {line["label"] for line in throughput["lines"]} >= {"email"}


async def test_a_group_link_lists_its_jobs(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    grouped = await failed_job(api, worker, "SMTP 550 mailbox full for bob@example.com")
    other = await failed_job(api, worker, "SMTP 421 try again later")
    page = (await web.get("/analytics")).text
    pattern_and_link = r'<span class="mono">([^<]*)</span>.*?href="/jobs\?error_group=(\w{16})"'
    groups = dict(re.findall(pattern_and_link, page, re.S))
    group = groups["SMTP &lt;n&gt; mailbox full for &lt;email&gt;"]

    listed = (await web.get(f"/jobs?error_group={group}")).text

    assert grouped[:8] in listed and other[:8] not in listed
    assert "Retry all" in page  # an admin may act on a whole group


async def test_the_type_filter_keeps_to_the_types_asked_for(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    await failed_job(api, worker, "boom")

    page = (await web.get("/analytics?type=report&type=gone_type&window=1y")).text

    assert 'value="report" checked' in page
    assert "boom" not in page  # the email failure is filtered out
    assert 'value="1h" checked' in page  # an unknown window reads as the default


async def test_a_group_action_on_no_group_or_no_action_is_a_404(web: httpx.AsyncClient) -> None:
    bad_group = await web.post("/analytics/groups/xyz", data={"action": "retry"})
    bad_action = await web.post("/analytics/groups/3f1c0a9be2d47781", data={"action": "cancel"})

    assert (bad_group.status_code, bad_action.status_code) == (404, 404)
