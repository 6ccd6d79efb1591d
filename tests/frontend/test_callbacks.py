"""A job's callback on its page, by role: everyone reads the deliveries, only operators and
admins are offered (and allowed) "Send again"."""

import httpx

from tests.factories import create_job, email_job
from tests.frontend.arrange import claim, complete

SEND_AGAIN = ">Send again</button>"


async def test_operators_may_send_again_and_viewers_only_read(
    web_viewer: httpx.AsyncClient,
    web_operator: httpx.AsyncClient,
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
) -> None:
    job = await create_job(api, email_job(callback_url="https://hooks.example.com/jobs?a=1&b=<2>"))
    await claim(worker, job)
    await complete(worker, job)

    as_viewer = (await web_viewer.get(f"/jobs/{job['id']}")).text
    as_operator = (await web_operator.get(f"/jobs/{job['id']}")).text
    refused = await web_viewer.post(f"/jobs/{job['id']}/deliveries")
    sent = await web_operator.post(f"/jobs/{job['id']}/deliveries")

    assert "https://hooks.example.com/jobs?a=1&amp;b=&lt;2&gt;" in as_viewer  # escaped
    assert "queued, not tried yet" in as_viewer
    assert SEND_AGAIN not in as_viewer and SEND_AGAIN in as_operator
    assert refused.status_code == 403
    assert sent.status_code == 303 and sent.headers["location"] == f"/jobs/{job['id']}"
    assert len((await api.get(f"/jobs/{job['id']}/deliveries")).json()["deliveries"]) == 2


async def test_the_overview_says_when_there_are_no_alerts(web: httpx.AsyncClient) -> None:
    page = (await web.get("/")).text

    assert 'id="alerts-heading">Alerts</h2>' in page
    assert "No alerts" in page
