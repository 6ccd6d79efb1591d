"""A job's callback on its page: the URL (as text, never markup), each delivery's tries, and
"Send again"; the overview's Alerts panel."""

from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from tests.callbacks import finished_job, make_deliverer
from tests.eventually import eventually
from tests.factories import insert_jobs
from tests.receiver import Answer, Receiver, running_receiver
from worker_service.alerts.evaluator import AlertEvaluator, AlertSettings
from worker_service.alerts.store import AlertStore
from worker_service.store import create_pool

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


async def test_the_job_page_shows_its_deliveries_and_sends_again(
    page: Page,
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    db: asyncpg.Connection,
    database_url: str,
) -> None:
    receiver.answer(Answer(500))
    url = receiver.url + "?tag=<i>x</i>"
    job = await finished_job(api, worker, url)
    pool = await create_pool(database_url, 2, durable=True)
    deliverer = make_deliverer(pool)
    try:
        await deliverer.run_once()  # HTTP 500
        await eventually(deliverer.run_once)  # after the (tiny) back-off: HTTP 200

        await page.goto(f"/jobs/{job['id']}")
        card = page.locator("section", has=page.get_by_role("heading", name="Callback"))
        await expect(card.locator(".callback-url")).to_have_text(url)
        await expect(card.locator(".callback-url i")).to_have_count(0)
        delivery = card.locator("tbody.delivery")
        await expect(delivery).to_have_count(1)
        await expect(delivery).to_have_attribute("data-state", "delivered")
        await expect(delivery.locator("tr").nth(0)).to_contain_text("HTTP 500")
        await expect(delivery.locator("tr").nth(1)).to_contain_text("HTTP 200")
        await expect(page.locator(".timeline")).to_contain_text("Callback delivered")

        await card.get_by_role("button", name="Send again").click()

        await expect(card.locator("tbody.delivery")).to_have_count(2)
        await expect(card.locator("tbody.delivery").first).to_contain_text("queued, not tried yet")
        await deliverer.run_once()
        assert len(receiver.requests) == 3
        assert (
            receiver.requests[2].headers["webhook-id"] != receiver.requests[1].headers["webhook-id"]
        )

        await insert_jobs(db, 2, status="failed", error="SMTP 550")
        evaluator = AlertEvaluator(AlertStore(pool), AlertSettings(webhook_url=receiver.url))
        await evaluator.run_once()
        await page.goto("/")
        alerts = page.locator("section", has=page.get_by_role("heading", name="Alerts"))
        await expect(alerts.locator("li.alert")).to_have_count(1)
        await expect(alerts).to_contain_text("2 email jobs failed for good")
    finally:
        await deliverer.close()
        await pool.close()
