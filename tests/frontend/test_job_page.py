"""/jobs/{id}: every field, the timeline, the actions its status allows, live status, file."""

import re

import httpx

from tests.factories import create_job, report_job
from tests.frontend.arrange import RUNNER, claim, complete, fail

STATUS_AREA = {"HX-Request": "true", "HX-Target": "job-status"}


async def test_the_page_shows_the_fields_and_the_timeline(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    job = await create_job(api)
    await claim(worker, job)
    await fail(worker, job, error="550 mailbox unavailable")

    page = (await web.get(f"/jobs/{job['id']}")).text

    assert job["id"] in page
    assert '<span class="badge badge-failed">failed</span>' in page
    assert "1 of 3" in page  # attempts
    assert "550 mailbox unavailable" in page
    for line in ("Created", f"Claimed by {RUNNER} · attempt 1", "Failed on attempt 1"):
        assert line in page
    relative_and_absolute = r'">(just now|\d+ \w+ ago)</time> · \d{4}-\d\d-\d\d [\d:]{8} UTC'
    assert re.search(relative_and_absolute, page)
    assert '<span class="json-key">to</span>: <span class="json-string">"ada@example.com"' in page


async def test_a_pending_job_can_be_cancelled_not_retried(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    job = await create_job(api)

    page = (await web.get(f"/jobs/{job['id']}")).text

    assert f'action="/jobs/{job["id"]}/cancel"' in page
    assert "/retry" not in page


async def test_a_failed_job_can_be_retried_not_cancelled(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    job = await create_job(api)
    await claim(worker, job)
    await fail(worker, job)

    page = (await web.get(f"/jobs/{job['id']}")).text

    assert f'action="/jobs/{job["id"]}/retry"' in page
    assert "/cancel" not in page


async def test_cancel_then_retry_go_back_to_the_job_page(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    job = await create_job(api)

    cancelled = await web.post(f"/jobs/{job['id']}/cancel")
    status_after_cancel = (await api.get(f"/jobs/{job['id']}")).json()["status"]
    retried = await web.post(f"/jobs/{job['id']}/retry")

    assert cancelled.status_code == retried.status_code == 303
    assert cancelled.headers["location"] == f"/jobs/{job['id']}"
    assert status_after_cancel == "cancelled"
    assert (await api.get(f"/jobs/{job['id']}")).json()["status"] == "pending"


async def test_an_action_the_status_no_longer_allows_says_why(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    job = await create_job(api)
    await claim(worker, job)  # a runner took it while the page was open

    response = await web.post(f"/jobs/{job['id']}/cancel")

    assert response.status_code == 409
    assert "only pending jobs can be cancelled" in response.text
    assert '<span class="badge badge-processing">processing</span>' in response.text


async def test_the_status_area_polls_while_the_job_can_change(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    job = await create_job(api)
    pending = (await web.get(f"/jobs/{job['id']}", headers=STATUS_AREA)).text
    await claim(worker, job)
    await complete(worker, job)
    completed = (await web.get(f"/jobs/{job['id']}", headers=STATUS_AREA)).text

    assert pending.lstrip().startswith('<div id="job-status"')
    assert f'hx-get="/jobs/{job["id"]}"' in pending
    assert "hx-trigger" in pending
    assert completed.lstrip().startswith('<div id="job-status"')
    assert "hx-trigger" not in completed  # a final job stops the polling
    assert "Completed by runner-test-1" in completed


async def test_a_finished_report_offers_its_file(
    web: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    job = await create_job(api, report_job())
    await claim(worker, job)
    upload = await worker.put(
        f"/artifacts/{job['id']}",
        params={"filename": "jobs_summary.csv"},
        content=b"status,count\ncompleted,1\n",
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201, upload.text
    await complete(worker, job)

    page = (await web.get(f"/jobs/{job['id']}")).text
    download = await web.get(f"/jobs/{job['id']}/artifact")

    assert f'href="/jobs/{job["id"]}/artifact"' in page
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert 'filename="jobs_summary.csv"' in download.headers["content-disposition"]
    assert download.content == b"status,count\ncompleted,1\n"


async def test_a_job_without_a_file_has_no_download(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    job = await create_job(api, report_job())

    response = await web.get(f"/jobs/{job['id']}/artifact")

    assert response.status_code == 404
    assert "has no artifact" in response.text
