"""Schedules in the browser: create one through the form (the job's fields follow the type,
the API's errors sit beside their fields), then run it now and disable it in place."""

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import Console
from tests.factories import create_job, create_schedule, email_job, schedule

pytestmark = pytest.mark.browser


async def test_create_a_schedule_then_run_it_now_and_disable_it(
    page: Page, api: httpx.AsyncClient, console: Console
) -> None:
    console.expect("status of 422")  # the first submit is refused on purpose
    await page.goto("/schedules")
    await page.get_by_role("link", name="New schedule").first.click()

    await page.get_by_label("Name").fill("morning-ping")
    await page.get_by_label("Cron").fill("61 8 * * *")
    await page.get_by_label("Time zone").fill("Europe/Berlin")
    await page.locator("label.type-option", has_text="Notification").click()
    await expect(page.locator("#payload-fields > legend")).to_have_text("Notification details")
    await page.get_by_label("User ID").fill("user-42")
    await page.get_by_label("Channel").select_option("push")
    await page.get_by_label("Message").fill("Good morning")
    await page.get_by_role("button", name="Create schedule").click()

    await expect(page.locator("#field-cron-error")).to_contain_text("Bad minute")
    await expect(page.get_by_label("Message")).to_have_value("Good morning")  # kept
    await page.get_by_label("Cron").fill("0 8 * * 1-5")
    await page.get_by_role("button", name="Create schedule").click()

    row = page.locator("#schedule-morning-ping")
    await expect(row).to_contain_text("At 08:00, Monday through Friday")
    await expect(row).to_contain_text("Europe/Berlin")
    await expect(row.locator(".last-job")).to_contain_text("None yet")

    await row.get_by_role("button", name="Run morning-ping now").click()
    await expect(row.locator(".last-job .badge")).to_have_text("pending")
    await row.get_by_role("button", name="Disable morning-ping").click()
    await expect(row).to_contain_text("None while disabled")

    stored = (await api.get("/schedules/morning-ping")).json()
    assert stored["enabled"] is False
    assert stored["job"]["type"] == "notification"
    assert stored["job"]["payload"]["message"] == "Good morning"
    assert stored["last_job"] is not None


async def test_a_schedules_jobs_are_one_click_away_and_the_list_filters_by_schedule(
    page: Page, api: httpx.AsyncClient
) -> None:
    for name in ("digest", "nightly"):
        await create_schedule(api, schedule(name=name))
        await api.post(f"/schedules/{name}/trigger")
    await api.post("/schedules/digest/trigger")
    await create_job(api, email_job())

    await page.goto("/schedules")
    await page.locator("#jobs-of-digest").click()

    await expect(page).to_have_url("/jobs?schedule=digest")
    await expect(page.locator("#results tbody tr")).to_have_count(2)
    box = page.get_by_label("Schedule")
    await expect(box).to_have_value("digest")
    await box.fill("nightly")
    await expect(page).to_have_url("/jobs?schedule=nightly")
    await expect(page.locator("#results tbody tr")).to_have_count(1)
    await box.fill("")
    await expect(page).to_have_url("/jobs")
    await expect(page.locator("#results tbody tr")).to_have_count(4)
