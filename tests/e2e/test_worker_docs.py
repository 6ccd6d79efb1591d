"""The worker service's Swagger UI in Chromium: it renders the protocol from the service's own
files, asks no other host for anything, and its Authorize button takes a runner token that
"Try it out" then sends."""

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Request, expect

from jobdeck_access.roles import Role

pytestmark = pytest.mark.browser


@pytest.fixture
async def docs(browser: Browser, worker_url: str) -> AsyncIterator[tuple[Page, list[Request]]]:
    context = await browser.new_context(base_url=worker_url)
    page = await context.new_page()
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    yield page, requests
    await context.close()
    assert errors == [], "errors in the browser console"


async def test_swagger_ui_shows_the_protocol_from_this_host_alone(
    docs: tuple[Page, list[Request]], worker_url: str
) -> None:
    page, requests = docs

    await page.goto("/docs")

    await expect(page.get_by_text("Jobdeck worker service").first).to_be_visible()
    await expect(page.locator(".opblock-summary-path", has_text="/process")).to_be_visible()
    await expect(
        page.locator(".opblock-summary-path", has_text="/complete/{job_id}")
    ).to_be_visible()
    hosts = {urlsplit(request.url).netloc for request in requests if request.url.startswith("http")}
    assert hosts == {urlsplit(worker_url).netloc}


async def test_authorize_then_try_a_claim(
    docs: tuple[Page, list[Request]], tokens: dict[Role, str]
) -> None:
    page, _ = docs
    await page.goto("/docs")

    await page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux")
    await dialog.locator(".auth-container input").fill(tokens[Role.RUNNER])
    await dialog.get_by_role("button", name="Apply credentials").click()
    await dialog.get_by_role("button", name="Close").click()
    claim = page.locator("#operations-protocol-claim")
    await claim.locator(".opblock-summary").click()
    await claim.get_by_role("button", name="Try it out").click()
    async with page.expect_response("**/process*") as answered:
        await claim.get_by_role("button", name="Execute").click()

    response = await answered.value
    assert response.status == 204  # a runner's claim, on an empty queue
    assert (await response.request.all_headers())[
        "authorization"
    ] == f"Bearer {tokens[Role.RUNNER]}"
