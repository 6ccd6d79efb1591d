"""/analytics in a real browser: the charts draw without console errors, and the page keeps
itself current."""

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from tests.factories import create_job, insert_jobs
from tests.frontend.arrange import claim

pytestmark = pytest.mark.browser


async def fail(api: httpx.AsyncClient, worker: httpx.AsyncClient, message: str) -> None:
    job = await create_job(api)
    await claim(worker, job)
    response = await worker.post(f"/fail/{job['id']}", json={"error": message, "retryable": False})
    assert response.json()["status"] == "failed"


async def test_charts_draw_and_the_page_refreshes_itself(
    page: Page, api: httpx.AsyncClient, worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # A finished history, through SQL with known times (the triggers read them from the rows).
    start = datetime.now(UTC) - timedelta(minutes=30)
    ids = await insert_jobs(db, 3, type="email", created_at=start.isoformat())
    await db.execute(
        "UPDATE jobs SET status = 'processing', attempts = 1, claimed_at = created_at + interval"
        " '2 s', locked_by = 'r', locked_until = now() WHERE id = ANY($1::uuid[])",
        ids,
    )
    await db.execute(
        "UPDATE jobs SET status = 'completed', completed_at = claimed_at + interval '1 s',"
        " locked_by = NULL, locked_until = NULL WHERE id = ANY($1::uuid[])",
        ids,
    )
    await fail(api, worker, "Connection refused to 10.0.0.12:5432")

    await page.goto("/analytics")

    await expect(page.locator("[data-analytics-chart] canvas")).to_have_count(4)
    failures = page.get_by_role("row", name="Connection refused to <ip>").locator("td.num")
    await expect(failures).to_have_text("1")

    await fail(api, worker, "Connection refused to 192.168.1.7:6543")
    await expect(failures).to_have_text("2")  # no reload: the live part swapped itself
    await expect(page.locator("[data-analytics-chart] canvas")).to_have_count(4)
