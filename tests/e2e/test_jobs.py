"""Finding jobs and acting on them: search, filters, the URL and the back button, bulk cancel,
retry from a job's page, and a job's status changing live."""

import re
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from devstack.processes import start_runner, stop
from jobdeck_access.roles import Role
from tests.factories import create_job, email_job, insert_jobs, notification_job, report_job
from tests.frontend.arrange import claim, fail

pytestmark = pytest.mark.browser


def rows(page: Page) -> Locator:
    return page.locator("#results tbody tr")


async def test_search_and_filters_live_in_the_url_and_back_restores_them(
    page: Page, api: httpx.AsyncClient
) -> None:
    await create_job(api, email_job(payload={"subject": "Welcome Grace"}))
    await create_job(api, email_job(payload={"subject": "Invoice 42"}))
    await create_job(api, notification_job())
    await page.goto("/jobs")
    await expect(rows(page)).to_have_count(3)

    search = page.get_by_label("Search")
    await search.press_sequentially("grace", delay=30)
    await expect(page).to_have_url("/jobs?q=grace")
    await expect(rows(page)).to_have_count(1)
    await expect(search).to_be_focused()  # typing was never interrupted

    await search.fill("")
    await page.locator("label.chip", has_text="notification").click()
    await expect(page).to_have_url("/jobs?type=notification")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page)).to_contain_text("notification")

    await page.go_back()
    await expect(page).to_have_url("/jobs?q=grace")
    await expect(search).to_have_value("grace")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page)).to_contain_text("Welcome Grace")


async def test_sorting_by_a_column_is_a_link_with_its_state(
    page: Page, api: httpx.AsyncClient
) -> None:
    for priority in (2, 5, 1):
        await create_job(api, email_job(priority=priority))
    await page.goto("/jobs")

    await page.get_by_role("link", name="Priority").click()

    await expect(page).to_have_url("/jobs?sort=priority")
    await expect(page.locator("th[aria-sort='descending']")).to_contain_text("Priority")
    await expect(rows(page).locator("td.num").first).to_have_text("5")


async def test_bulk_cancel_reports_what_was_cancelled_and_what_was_skipped(
    page: Page, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    first, second = await create_job(api), await create_job(api, report_job())
    running = await create_job(api, notification_job())
    await claim(worker, running)  # the only notification job
    untouched = await create_job(api)
    await page.goto("/jobs")

    for job in (first, second, running):
        await page.get_by_label(f"Select job {job['id'][:8]}").check()
    await expect(page.locator("[data-selected-count]")).to_have_text("3 selected")
    await page.get_by_role("button", name="Cancel…").click()
    await expect(page.get_by_text("Cancel 3 selected jobs?")).to_be_visible()
    await page.get_by_role("button", name="Yes, cancel 3 jobs").click()

    outcome = page.get_by_role("status")
    await expect(outcome).to_contain_text("Cancelled: 2 of 3 jobs.")
    await expect(outcome).to_contain_text("only pending jobs can be cancelled; it is processing")
    await expect(page).to_have_url("/jobs")
    statuses = {
        j["id"]: (await api.get(f"/jobs/{j['id']}")).json()["status"]
        for j in (first, second, running, untouched)
    }
    assert statuses == {
        first["id"]: "cancelled",
        second["id"]: "cancelled",
        running["id"]: "processing",
        untouched["id"]: "pending",
    }


async def test_select_all_ticks_every_row_on_the_page(page: Page, api: httpx.AsyncClient) -> None:
    for _ in range(3):
        await create_job(api)
    await page.goto("/jobs")
    delete = page.get_by_role("button", name="Delete…")
    await expect(delete).to_be_disabled()

    await page.get_by_label("Select all jobs on this page").check()

    await expect(page.locator("input[name='ids']:checked")).to_have_count(3)
    await expect(page.locator("[data-selected-count]")).to_have_text("3 selected")
    await expect(delete).to_be_enabled()


async def test_retry_a_failed_job_from_its_page(
    page: Page, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    job = await create_job(api)
    await claim(worker, job)
    await fail(worker, job, error="550 mailbox unavailable")
    await page.goto(f"/jobs/{job['id']}")
    await expect(page.locator(".card-error")).to_contain_text("550 mailbox unavailable")
    await expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)

    await page.get_by_role("button", name="Retry job").click()

    await expect(page.locator(".status-card .badge")).to_have_text("pending")
    await expect(page.locator(".timeline")).to_contain_text("Retried by hand")
    await expect(page).to_have_url(f"/jobs/{job['id']}")
    assert (await api.get(f"/jobs/{job['id']}")).json()["status"] == "pending"


async def test_cancel_a_pending_job_from_its_page(page: Page, api: httpx.AsyncClient) -> None:
    job = await create_job(api)
    await page.goto(f"/jobs/{job['id']}")
    await page.evaluate("window.notReloaded = true")

    await page.get_by_role("button", name="Cancel job").click()

    await expect(page.locator(".status-card .badge")).to_have_text("cancelled")
    await expect(page.get_by_role("button", name="Retry job")).to_be_visible()
    assert await page.evaluate("window.notReloaded") is True
    assert (await api.get(f"/jobs/{job['id']}")).json()["status"] == "cancelled"


async def test_a_job_page_follows_the_job_live_and_stops_when_it_is_final(
    page: Page,
    api: httpx.AsyncClient,
    worker_url: str,
    tmp_path: Path,
    tokens: dict[Role, str],
) -> None:
    job = await create_job(api, notification_job())
    await page.goto(f"/jobs/{job['id']}")
    await page.evaluate("window.notReloaded = true")
    badge, status_area = page.locator(".status-card .badge"), page.locator("#job-status")
    await expect(badge).to_have_text("pending")
    await expect(status_area).to_have_attribute("hx-trigger", re.compile("every"))

    # A real runner picks it up; the simulated work keeps it `processing` long enough to see.
    runner = start_runner(
        ["--worker-id", "e2e-runner"],
        {
            "WORKER_SERVICE_URL": worker_url,
            "JOBDECK_TOKEN": tokens[Role.RUNNER],
            "OUTBOX_DIR": str(tmp_path / "outbox"),
            "SIMULATED_DURATION_MS": "1500",
        },
        tmp_path / "runner.log",
    )
    try:
        await expect(badge).to_have_text("processing")
        await expect(page.locator(".timeline")).to_contain_text("Claimed by e2e-runner")
        await expect(badge).to_have_text("completed", timeout=15_000)
    finally:
        stop(runner)
    await expect(page.locator(".timeline")).to_contain_text("Completed by e2e-runner")
    await expect(status_area).not_to_have_attribute("hx-trigger", re.compile(".*"))
    assert await page.evaluate("window.notReloaded") is True


async def test_select_all_matching_previews_the_count_then_retries_every_match(
    page: Page, db: asyncpg.Connection
) -> None:
    """Gmail's "select all N matching": past the page, with the URL's filters, counted first."""
    await insert_jobs(db, 25, status="failed", type="email")
    await insert_jobs(db, 2, status="completed", type="email")
    await insert_jobs(db, 3, status="failed", type="report")  # not matched: another type
    await page.goto("/jobs?type=email")
    await expect(rows(page)).to_have_count(20)
    offer = page.locator("[data-select-matching]")
    await expect(offer).to_be_hidden()

    await page.get_by_label("Select all jobs on this page").check()
    await expect(offer).to_contain_text("All 20 jobs on this page are selected.")
    await page.get_by_role("button", name="Select all 27 matching jobs").click()
    await expect(offer).to_contain_text("All 27 matching jobs are selected.")
    await page.get_by_role("button", name="Retry…").click()

    await expect(page.get_by_text("Retry all 27 matching jobs?")).to_be_visible()
    await expect(page.locator("#bulk-question")).to_contain_text("25 can be, 2 would be skipped")
    assert await db.fetchval("SELECT count(*) FROM jobs WHERE status = 'pending'") == 0
    await page.get_by_role("button", name="Yes, retry 25 jobs").click()

    await expect(page.get_by_role("status")).to_contain_text(
        "Sent back to pending: 25 of 27 matching jobs."
    )
    await expect(page).to_have_url("/jobs?type=email")
    counts = await db.fetch(
        "SELECT type, status, count(*) AS n FROM jobs GROUP BY 1, 2 ORDER BY 1, 2"
    )
    assert [tuple(row) for row in counts] == [
        ("email", "completed", 2),
        ("email", "pending", 25),
        ("report", "failed", 3),
    ]
