"""With JavaScript off the dashboard still works: plain links, plain forms, full pages."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from jobdeck_access.roles import Role
from tests.factories import create_job, email_job, notification_job

pytestmark = pytest.mark.browser


@pytest.fixture
async def plain_page(
    browser: Browser, frontend_url: str, tokens: dict[Role, str]
) -> AsyncIterator[Page]:
    """A tab with JavaScript off, signed in through the sign-in form (a plain form too)."""
    context = await browser.new_context(base_url=frontend_url, java_script_enabled=False)
    page = await context.new_page()
    await page.goto("/jobs")
    await page.get_by_label("API token").fill(tokens[Role.OPERATOR])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    yield page
    await context.close()


async def test_filter_the_list_with_the_apply_button(
    plain_page: Page, api: httpx.AsyncClient
) -> None:
    await create_job(api, email_job())
    await create_job(api, notification_job())
    await plain_page.goto("/jobs")

    await plain_page.locator("label.chip", has_text="notification").click()
    await plain_page.get_by_role("button", name="Apply").click()

    await expect(plain_page).to_have_url(re.compile(r"/jobs\?.*\btype=notification\b"))
    await expect(plain_page.locator("#results tbody tr")).to_have_count(1)


async def test_bulk_cancel_and_create_a_job_with_plain_forms(
    plain_page: Page, api: httpx.AsyncClient
) -> None:
    job = await create_job(api)
    await plain_page.goto("/jobs")
    await plain_page.get_by_label(f"Select job {job['id'][:8]}").check()
    await plain_page.get_by_role("button", name="Cancel…").click()
    await plain_page.get_by_role("button", name="Yes, cancel 1 job").click()
    await expect(plain_page.get_by_role("status")).to_contain_text("Cancelled: 1 of 1 job.")

    await plain_page.goto("/jobs/new")
    await plain_page.get_by_label("Notification").check()
    await plain_page.get_by_role("button", name="Show fields").click()
    await plain_page.get_by_label("User ID").fill("user-7")
    await plain_page.get_by_label("Channel").select_option("push")
    await plain_page.get_by_label("Message").fill("Hello")
    await plain_page.get_by_role("button", name="Create job").click()

    await expect(plain_page.locator(".status-card .badge")).to_have_text("pending")
    await expect(plain_page.get_by_role("heading", level=1)).to_contain_text("Notification job")
