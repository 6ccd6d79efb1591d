"""Browser tests: a real headless Chromium (Debian's) driven by Playwright, against the
dashboard and the producer API as real processes.

Chromium comes from the system (`apt-get install chromium`), never from `playwright install`;
CHROMIUM_PATH points elsewhere if needed.
"""

import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from frontend.session import COOKIE
from jobdeck_access.roles import Role
from tests.frontend.arrange import dashboard, signed_in

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class Console:
    """The browser console's errors for one test; a test may expect some (a 422 it caused)."""

    errors: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        self.expected.append(pattern)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(re.search(p, e) for p in self.expected)]


@pytest.fixture(scope="session")
def frontend_url(producer_url: str) -> Iterator[str]:
    # Live parts refresh twice a second here, so tests see changes without waiting long.
    with dashboard(producer_url, REFRESH_SECONDS="0.5") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium, or set CHROMIUM_PATH")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def console() -> Console:
    return Console()


async def sign_in_browser(context: BrowserContext, base_url: str, token: str) -> None:
    """Give the browser the session cookie the dashboard set for a sign-in with `token`
    (tests of the sign-in form itself fill it in)."""
    async with signed_in(base_url, token) as client:
        value = client.cookies[COOKIE]
    cookie = {"name": COOKIE, "value": value, "url": base_url, "httpOnly": True}
    await context.add_cookies([cookie])  # type: ignore[list-item]


def watch_console(page: Page, console: Console) -> None:
    page.on(
        "console", lambda message: message.type == "error" and console.errors.append(message.text)
    )
    page.on("pageerror", lambda error: console.errors.append(str(error)))


@pytest.fixture
async def page(
    browser: Browser, frontend_url: str, console: Console, tokens: dict[Role, str]
) -> AsyncIterator[Page]:
    """A tab of the dashboard, signed in as an admin."""
    context = await browser.new_context(
        base_url=frontend_url, viewport={"width": 1280, "height": 900}
    )
    await sign_in_browser(context, frontend_url, tokens[Role.ADMIN])
    page = await context.new_page()
    watch_console(page, console)
    yield page
    await context.close()
    assert console.unexpected() == [], "errors in the browser console"
