"""Signing in and out in a real browser: the form, the header, and where it goes after."""

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from jobdeck_access.roles import Role
from tests.e2e.conftest import Console, watch_console

pytestmark = pytest.mark.browser


@pytest.fixture
async def stranger(browser: Browser, frontend_url: str, console: Console) -> AsyncIterator[Page]:
    """A tab of a browser nobody signed in with yet."""
    context = await browser.new_context(base_url=frontend_url)
    page = await context.new_page()
    watch_console(page, console)
    yield page
    await context.close()
    assert console.unexpected() == [], "errors in the browser console"


async def test_sign_in_through_the_form_then_out_with_the_header_button(
    stranger: Page, tokens: dict[Role, str], console: Console
) -> None:
    await stranger.goto("/jobs?status=failed")
    await expect(stranger).to_have_url("/login?next=%2Fjobs%3Fstatus%3Dfailed")

    await stranger.get_by_label("API token").fill(tokens[Role.OPERATOR])
    await stranger.get_by_role("button", name="Sign in").click()

    await expect(stranger).to_have_url("/jobs?status=failed")
    header = stranger.locator("header.topbar")
    await expect(header.locator(".who-name")).to_have_text("test-operator")
    await expect(header.locator(".who-role")).to_have_text("operator")
    cookie = next(c for c in await stranger.context.cookies() if c["name"] == "jobdeck_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert await stranger.evaluate("() => document.cookie") == ""  # out of scripts' reach

    await header.get_by_role("button", name="Sign out").click()

    await expect(stranger.get_by_text("You signed out.")).to_be_visible()
    await stranger.goto("/jobs")
    await expect(stranger.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_a_wrong_token_is_said_beside_the_field(stranger: Page, console: Console) -> None:
    console.expect("status of 422")  # the browser notes the refused form post
    await stranger.goto("/login")

    await stranger.get_by_label("API token").fill("jd_" + "x" * 43)
    await stranger.get_by_role("button", name="Sign in").click()

    token = stranger.get_by_label("API token")
    await expect(token).to_have_attribute("aria-invalid", "true")
    await expect(token).to_have_value("")  # never sent back
    await expect(stranger.get_by_role("alert")).to_contain_text("does not accept this token")
