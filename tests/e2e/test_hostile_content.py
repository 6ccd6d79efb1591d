"""Every page of the dashboard, in a real browser, showing jobs whose every field a stranger
wrote: payloads, errors, results, file names and runner ids full of script. Nothing runs,
and the Content-Security-Policy never has to step in (it would say so in the console)."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from jobdeck_access.roles import Role
from tests.e2e.conftest import Console, watch_console
from tests.factories import create_job, email_job, notification_job, report_job
from tests.frontend.arrange import claim, complete, dashboard, fail

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = '"><script>window.__pwned=1</script>'
SVG = "'><svg onload=window.__pwned=1>"  # no slash: fits in a runner id's URL path
LINK = "javascript:window.__pwned=1"
SENTINELS = (IMG, SCRIPT, SVG, LINK)
TEXT = " ".join(SENTINELS)

# Anything the page would run or follow that none of our templates write.
INJECTED = """() => [
    ...document.querySelectorAll("script:not([src]), [onerror], [onload], iframe, object"),
    ...[...document.querySelectorAll("[href], [src], [action]")].filter((element) =>
        /^\\s*javascript:/i.test(element.getAttribute("href") || element.getAttribute("src")
            || element.getAttribute("action") || "")),
].map((element) => element.outerHTML.slice(0, 120))"""


@pytest.fixture(scope="module")
def hostile_frontend_url(producer_url: str, worker_url: str) -> Iterator[str]:
    """A dashboard that lists runners too (the session one has no worker service)."""
    with dashboard(producer_url, worker_url, REFRESH_SECONDS="0.5") as base_url:
        yield base_url


@pytest.fixture
async def hostile_page(
    browser: Browser, hostile_frontend_url: str, console: Console
) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=hostile_frontend_url)
    page = await context.new_page()
    watch_console(page, console)
    # Every console line, not just errors: a CSP report is how a blocked injection shows.
    page.on("console", lambda message: console.errors.extend(csp_reports(message.text)))
    yield page
    await context.close()


def csp_reports(text: str) -> list[str]:
    return [text] if "Content Security Policy" in text or "Refused to" in text else []


async def heartbeat(worker: httpx.AsyncClient, runner: str, jobs: list[str]) -> None:
    response = await worker.post(f"/workers/{runner}/heartbeat", json={"jobs": jobs})
    assert response.status_code == 200, response.text


async def arrange_hostile_jobs(
    api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> dict[str, dict[str, Any]]:
    """One job in each status, and a finished report, every field a sentinel can be in."""
    email = {"subject": IMG, "body": TEXT}
    notification = {"user_id": SCRIPT, "message": TEXT}
    jobs: dict[str, dict[str, Any]] = {}

    jobs["failed"] = await create_job(api, email_job(payload=email))
    await claim(worker, jobs["failed"], runner=IMG)
    await fail(worker, jobs["failed"], error=TEXT)

    jobs["completed"] = await create_job(api, email_job(payload=email))
    await claim(worker, jobs["completed"], runner=LINK)
    await complete(worker, jobs["completed"], {"html": IMG, SCRIPT: [LINK, {"svg": SVG}]})

    jobs["processing"] = await create_job(api, notification_job(payload=notification))
    await claim(worker, jobs["processing"], runner=SVG)
    await heartbeat(worker, SVG, [jobs["processing"]["id"]])
    await heartbeat(worker, IMG, [])

    jobs["cancelled"] = await create_job(api, notification_job(payload=notification))
    assert (await api.delete(f"/jobs/{jobs['cancelled']['id']}")).status_code == 200

    jobs["report"] = await create_job(api, report_job())
    await claim(worker, jobs["report"], runner=IMG)
    upload = await worker.put(
        f"/artifacts/{jobs['report']['id']}",
        params={"filename": f"{IMG}.csv", "attempt": 1},
        content=f"status,note\nfailed,{SCRIPT}\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201, upload.text
    await complete(worker, jobs["report"])

    jobs["pending"] = await create_job(
        api, email_job(payload=email, scheduled_for="2031-01-01T09:00:00Z")
    )
    return jobs


async def assert_nothing_ran(page: Page, path: str) -> None:
    assert await page.evaluate("() => window.__pwned") is None, f"{path} ran injected script"
    injected = await page.evaluate(INJECTED)
    assert injected == [], f"{path} has elements nobody wrote: {injected}"


async def test_no_page_runs_what_strangers_wrote(
    hostile_page: Page,
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    tokens: dict[Role, str],
    console: Console,
) -> None:
    jobs = await arrange_hostile_jobs(api, worker)
    page = hostile_page
    console.expect("status of 404")  # the error pages below, as the browser notes them

    # Signing in through the form, with a `next` that tries to break out of its attribute.
    await page.goto(f"/login?next={SCRIPT}")
    await assert_nothing_ran(page, "/login")
    await page.get_by_label("API token").fill(tokens[Role.ADMIN])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    pages = [
        "/",
        "/?window=7d",
        "/jobs",
        f"/jobs?q={IMG}",
        f"/jobs?q={SCRIPT}&status=failed",
        *(f"/jobs/{job['id']}" for job in jobs.values()),
        "/jobs/new",
        "/jobs/new?type=notification",
        "/workers",
        f"/jobs/{uuid.uuid4()}",
        f"/no/such/{IMG}",
        "/jobs?page=²&limit=²",
    ]
    for path in pages:
        await page.goto(path)
        await expect(page.locator("main h1")).to_be_visible()
        await assert_nothing_ran(page, path)

    # The runners' ids are shown as text, live.
    await page.goto("/workers")
    await expect(page.locator("td.mono", has_text=SVG)).to_be_visible()
    await assert_nothing_ran(page, "/workers")

    # The report's file is a download (its page never opens in the browser).
    await page.goto(f"/jobs/{jobs['report']['id']}")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download CSV").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")
    await assert_nothing_ran(page, "the report download")

    assert [line for line in console.errors if csp_reports(line)] == []
    assert console.unexpected() == []


async def test_forms_give_back_what_strangers_typed_as_text(
    hostile_page: Page, tokens: dict[Role, str], console: Console
) -> None:
    console.expect("status of 422")  # the invalid form, as the browser notes it
    page = hostile_page
    await page.goto("/login")
    await page.get_by_label("API token").fill(tokens[Role.OPERATOR])
    await page.get_by_role("button", name="Sign in").click()
    await page.goto("/jobs/new")

    await page.get_by_label("To", exact=True).fill(IMG)  # not an address: the form comes back
    await page.get_by_label("Subject").fill(SCRIPT)
    await page.get_by_label("Body").fill(TEXT)
    await page.get_by_role("button", name="Create job").click()

    await expect(page.locator(".error-summary")).to_be_visible()
    await expect(page.get_by_label("Subject")).to_have_value(SCRIPT)
    await assert_nothing_ran(page, "/jobs/new after a refusal")

    await page.get_by_label("To", exact=True).fill("grace@example.com")
    await page.get_by_role("button", name="Create job").click()
    await expect(page.locator(".status-line")).to_be_visible()  # the new job's page
    await expect(page.get_by_text(f'"{SCRIPT}"', exact=True)).to_be_visible()  # the subject
    await assert_nothing_ran(page, "the created job's page")

    assert [line for line in console.errors if csp_reports(line)] == []
    assert console.unexpected() == []
