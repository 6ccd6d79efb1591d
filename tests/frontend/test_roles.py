"""The dashboard acts with the signed-in token: pages offer only what its role may do, and
what a role may not do is refused by the API, through the dashboard or around it."""

from typing import Any

import httpx
import pytest

from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import create_job, notification_job
from tests.frontend.arrange import claim, email_form, fail, signed_in

CANCEL_BUTTON = ">Cancel job</button>"
RETRY_BUTTON = ">Retry job</button>"
NEW_JOB_BUTTON = 'href="/jobs/new">New job</a>'
BULK_BUTTONS = "data-needs-selection>"


async def failed_job(api: httpx.AsyncClient, worker: httpx.AsyncClient) -> dict[str, Any]:
    job = await create_job(api)
    await claim(worker, job)
    await fail(worker, job)
    return job


async def status_of(api: httpx.AsyncClient, job: dict[str, Any]) -> str:
    status: str = (await api.get(f"/jobs/{job['id']}")).json()["status"]
    return status


# --- what the pages offer --------------------------------------------------------------------


async def test_a_viewer_sees_jobs_but_no_button_that_changes_them(
    web_viewer: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    pending = await create_job(api, notification_job())
    failed = await failed_job(api, worker)

    listing = (await web_viewer.get("/jobs")).text
    overview = (await web_viewer.get("/")).text
    pending_page = (await web_viewer.get(f"/jobs/{pending['id']}")).text
    failed_page = (await web_viewer.get(f"/jobs/{failed['id']}")).text

    assert f'href="/jobs/{pending["id"]}"' in listing  # reading works
    assert BULK_BUTTONS not in listing
    assert 'name="ids"' not in listing and 'action="/jobs/bulk"' not in listing
    for page in (listing, overview, pending_page, failed_page):
        assert NEW_JOB_BUTTON not in page
        assert CANCEL_BUTTON not in page and RETRY_BUTTON not in page
    assert '<span class="badge badge-failed">failed</span>' in failed_page


async def test_a_producer_may_create_jobs_but_not_act_on_them(
    web_producer: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    pending = await create_job(api, notification_job())
    failed = await failed_job(api, worker)

    listing = (await web_producer.get("/jobs")).text
    pending_page = (await web_producer.get(f"/jobs/{pending['id']}")).text
    failed_page = (await web_producer.get(f"/jobs/{failed['id']}")).text
    created = await web_producer.post("/jobs/new", data=email_form())

    assert NEW_JOB_BUTTON in listing
    assert BULK_BUTTONS not in listing
    assert CANCEL_BUTTON not in pending_page and RETRY_BUTTON not in failed_page
    assert created.status_code == 303
    assert created.headers["location"].startswith("/jobs/")


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ADMIN])
async def test_operators_and_admins_see_every_action(
    role: Role,
    frontend_url: str,
    tokens: dict[Role, str],
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
) -> None:
    pending = await create_job(api, notification_job())
    failed = await failed_job(api, worker)

    async with signed_in(frontend_url, tokens[role]) as web:
        listing = (await web.get("/jobs")).text
        pending_page = (await web.get(f"/jobs/{pending['id']}")).text
        failed_page = (await web.get(f"/jobs/{failed['id']}")).text

    assert NEW_JOB_BUTTON in listing
    assert listing.count(BULK_BUTTONS) == 3  # cancel, retry, delete
    assert CANCEL_BUTTON in pending_page and RETRY_BUTTON in failed_page


async def test_the_new_job_form_tells_a_viewer_at_once_that_the_role_may_not(
    web_viewer: httpx.AsyncClient,
) -> None:
    response = await web_viewer.get("/jobs/new")

    assert response.status_code == 403
    assert "Your role may not do that" in response.text
    assert "You are signed in as test-viewer (viewer)." in response.text
    assert "Role viewer may not create jobs; it needs producer, operator or admin." in response.text


# --- what the API refuses, however it is asked -----------------------------------------------


async def test_a_viewers_forged_cancel_is_refused_and_changes_nothing(
    web_viewer: httpx.AsyncClient,
    api: httpx.AsyncClient,
    producer_url: str,
    tokens: dict[Role, str],
) -> None:
    job = await create_job(api, notification_job())

    through_the_dashboard = await web_viewer.post(f"/jobs/{job['id']}/cancel")
    bulk = await web_viewer.post(
        "/jobs/bulk", data={"action": "cancel", "ids": [job["id"]], "confirmed": "yes"}
    )
    async with httpx.AsyncClient(base_url=producer_url) as bypass:
        around_it = await bypass.delete(f"/jobs/{job['id']}", headers=bearer(tokens[Role.VIEWER]))

    assert through_the_dashboard.status_code == bulk.status_code == around_it.status_code == 403
    assert "Your role may not do that" in through_the_dashboard.text
    assert "Role viewer may not DELETE /jobs/{job_id}; it needs operator or admin." in (
        through_the_dashboard.text
    )
    assert "Role viewer may not POST /jobs/bulk" in bulk.text
    assert await status_of(api, job) == "pending"


async def test_a_producers_forged_retry_is_refused_and_changes_nothing(
    web_producer: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    job = await failed_job(api, worker)

    response = await web_producer.post(f"/jobs/{job['id']}/retry")

    assert response.status_code == 403
    assert "You are signed in as test-producer (producer)." in response.text
    assert await status_of(api, job) == "failed"


async def test_a_viewers_forged_job_is_refused_and_nothing_is_created(
    web_viewer: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    response = await web_viewer.post("/jobs/new", data=email_form())

    assert response.status_code == 403
    assert (await api.get("/jobs")).json()["total"] == 0
