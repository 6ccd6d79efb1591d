"""Creating jobs through the form: the fields follow the type, errors sit beside their field."""

import re
from collections.abc import Awaitable, Callable

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import Console

pytestmark = pytest.mark.browser

JOB_PAGE = re.compile(r"/jobs/[0-9a-f-]{36}$")
Payload = dict[str, object]


async def fill_email(page: Page) -> Payload:
    await page.get_by_label("To", exact=True).fill("grace@example.com")
    await page.get_by_label("Subject").fill("Your report is ready")
    await page.get_by_label("Body").fill("Hello Grace,\nIt is attached.")
    return {
        "to": "grace@example.com",
        "subject": "Your report is ready",
        "body": "Hello Grace,\nIt is attached.",
    }


async def fill_report(page: Page) -> Payload:
    await page.get_by_label("Report type").select_option("failures")
    await page.get_by_label("Format").select_option("pdf")
    await page.get_by_label("Start", exact=True).fill("2026-11-01")
    await page.get_by_label("End", exact=True).fill("2026-11-24")
    return {
        "report_type": "failures",
        "format": "pdf",
        "date_range": {"start": "2026-11-01", "end": "2026-11-24"},
    }


async def fill_notification(page: Page) -> Payload:
    await page.get_by_label("User ID").fill("user-42")
    await page.get_by_label("Channel").select_option("sms")
    await page.get_by_label("Message").fill("Your export is ready")
    return {"user_id": "user-42", "channel": "sms", "message": "Your export is ready"}


@pytest.mark.parametrize(
    ("job_type", "fill"),
    [("email", fill_email), ("report", fill_report), ("notification", fill_notification)],
)
async def test_create_a_job_of_each_type(
    page: Page, api: httpx.AsyncClient, job_type: str, fill: Callable[[Page], Awaitable[Payload]]
) -> None:
    await page.goto("/jobs/new")

    await page.locator("label.type-option", has_text=job_type.capitalize()).click()
    legend = page.locator("#payload-fields > legend")
    await expect(legend).to_have_text(f"{job_type.capitalize()} details")
    payload = await fill(page)
    await page.locator("#field-priority label", has_text="5").click()
    await page.get_by_role("button", name="Create job").click()

    await expect(page).to_have_url(JOB_PAGE)
    await expect(page.locator(".status-card .badge")).to_have_text("pending")
    job = (await api.get(f"/jobs/{page.url.rsplit('/', 1)[1]}")).json()
    assert (job["type"], job["payload"], job["priority"]) == (job_type, payload, 5)


async def test_an_invalid_field_shows_the_api_error_beside_it(
    page: Page, api: httpx.AsyncClient, console: Console
) -> None:
    console.expect("status of 422")  # the browser logs the answer to an invalid form
    await page.goto("/jobs/new")
    await page.get_by_label("To", exact=True).fill("not-an-address")
    await page.get_by_label("Subject").fill("Hello")

    await page.get_by_role("button", name="Create job").click()

    to_error = page.locator("#field-payload-to-error")
    await expect(to_error).to_contain_text("not a valid email address")
    await expect(page.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("To", exact=True)).to_have_value("not-an-address")
    await expect(page.get_by_label("Subject")).to_have_value("Hello")
    await expect(page.locator("#field-payload-body-error")).to_have_text("This field is required.")
    await expect(page).to_have_url("/jobs/new")
    assert (await api.get("/jobs")).json()["total"] == 0
