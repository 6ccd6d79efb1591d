"""Every page loads cleanly in a real browser; the dashboard draws and refreshes itself."""

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.factories import create_job
from tests.frontend.arrange import claim, complete

pytestmark = pytest.mark.browser

LIVE_POLL_SKIPPED = """() => new Promise((resolve) => document.addEventListener(
    "htmx:beforeRequest",
    (event) => event.detail.elt.id === "live" && resolve(event.defaultPrevented),
))"""


async def test_no_page_logs_an_error(
    page: Page, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    job = await create_job(api)
    await claim(worker, job)
    await complete(worker, job)

    for path in (
        "/",
        "/jobs",
        f"/jobs/{job['id']}",
        "/jobs/new",
        "/types",
        "/workers",
        "/maintenance",
        "/?window=7d",
    ):
        await page.goto(path)
        await expect(page.locator("h1")).to_be_visible()
    await page.goto("/")
    await expect(page.locator(".chart canvas")).to_be_visible()  # uPlot drew the chart


async def test_the_dashboard_refreshes_itself_and_can_be_paused(
    page: Page, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    await page.goto("/")
    processing = page.locator(".stat-processing .stat-value")
    await expect(processing).to_have_text("0")

    job = await create_job(api)
    await claim(worker, job)
    await expect(processing).to_have_text("1")  # no reload: the live part swapped itself

    await page.get_by_role("button", name="Pause updates").click()
    await expect(page.get_by_role("button", name="Resume updates")).to_be_visible()
    assert await page.evaluate(LIVE_POLL_SKIPPED) is True
    await complete(worker, job)
    assert await page.evaluate(LIVE_POLL_SKIPPED) is True
    await expect(processing).to_have_text("1")

    await page.get_by_role("button", name="Resume updates").click()
    await expect(processing).to_have_text("0")


async def test_polling_stops_while_the_tab_is_hidden(page: Page) -> None:
    await page.goto("/")
    await page.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", {value: true, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )

    assert await page.evaluate(LIVE_POLL_SKIPPED) is True


async def test_the_chart_window_is_a_link_that_changes_the_url(page: Page) -> None:
    await page.goto("/")
    await page.evaluate("window.notReloaded = true")

    await page.get_by_role("link", name="24h").click()

    await expect(page).to_have_url("/?window=24h")
    await expect(page.locator(".chart-summary")).to_contain_text("in the last 24 hours")
    await expect(page.locator(".chart canvas")).to_have_count(1)
    assert await page.evaluate("window.notReloaded") is True  # links in live parts stay boosted


async def test_navigation_swaps_the_content_and_marks_the_current_page(page: Page) -> None:
    await page.goto("/")
    await page.evaluate("window.notReloaded = true")

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()

    await expect(page).to_have_url("/jobs")
    await expect(page).to_have_title("Jobs · Jobdeck")
    await expect(page.locator("nav.nav a[aria-current='page']")).to_have_text("Jobs")
    assert await page.evaluate("window.notReloaded") is True
