"""Hostile payloads are shown as text, and other sites cannot make the dashboard act."""

import httpx
import pytest

from tests.factories import create_job, email_job, notification_job
from tests.frontend.arrange import claim, fail

SCRIPT = "<script>alert('owned')</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
# A runner's name may hold anything but a "/" (it is a path segment of its heartbeat).
HOSTILE_RUNNER = "<script>alert('owned')"


@pytest.fixture
async def hostile_job(api: httpx.AsyncClient, worker: httpx.AsyncClient) -> dict:
    job = await create_job(api, email_job(payload={"subject": SCRIPT, "body": BREAKOUT}))
    await claim(worker, job, runner=HOSTILE_RUNNER)
    await fail(worker, job, error=BREAKOUT)
    return job


@pytest.mark.parametrize("path", ["/", "/jobs", "/jobs?q=script", "/jobs/{id}"])
async def test_hostile_payloads_are_escaped(
    web: httpx.AsyncClient, hostile_job: dict, path: str
) -> None:
    page = (await web.get(path.format(id=hostile_job["id"]))).text

    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page


async def test_hostile_payloads_are_escaped_in_the_form_it_is_sent_back_to(
    web: httpx.AsyncClient,
) -> None:
    form = {"type": "notification", "payload.user_id": BREAKOUT, "payload.message": SCRIPT}

    page = (await web.post("/jobs/new", data=form)).text

    assert "<script>alert" not in page and "<img src=x" not in page
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
async def test_posts_from_other_sites_are_refused(
    web: httpx.AsyncClient, api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    job = await create_job(api, notification_job())

    response = await web.post(f"/jobs/{job['id']}/cancel", headers=headers)
    bulk = await web.post(
        "/jobs/bulk",
        data={"action": "delete", "ids": [job["id"]], "confirmed": "yes"},
        headers=headers,
    )

    assert response.status_code == bulk.status_code == 403
    assert "came from another site" in response.text
    assert (await api.get(f"/jobs/{job['id']}")).json()["status"] == "pending"


async def test_posts_from_the_dashboard_itself_are_accepted(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    job = await create_job(api)
    own_origin = str(web.base_url).rstrip("/")

    response = await web.post(
        f"/jobs/{job['id']}/cancel",
        headers={"Origin": own_origin, "Sec-Fetch-Site": "same-origin"},
    )

    assert response.status_code == 303
