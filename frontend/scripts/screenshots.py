"""Screenshots of a running dashboard for the README: docs/dashboard.png, jobs, job, types,
analytics.

    JOBDECK_TOKEN=jd_… .venv/bin/python frontend/scripts/screenshots.py \
        [--url http://localhost:3001] [--job ID]

Run it against a stack with some history (`SEED=1 make run`, and a few minutes of runners).
It signs in with JOBDECK_TOKEN (an operator's or an admin's shows every button), and drives
Debian's chromium like the browser tests (CHROMIUM_PATH to use another).
"""

import argparse
import asyncio
import os
from pathlib import Path

from playwright.async_api import Page, async_playwright

DOCS = Path(__file__).resolve().parents[2] / "docs"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


async def _a_telling_job(page: Page) -> str:
    """A failed job has the fullest timeline; any job will do when none failed."""
    for path in ("/jobs?status=failed", "/jobs"):
        await page.goto(path)
        link = page.locator("#results tbody a[href^='/jobs/']").first
        if await link.count():
            return str(await link.get_attribute("href"))
    raise SystemExit("no jobs to show: create some first (make seed)")


async def _sign_in(page: Page, token: str) -> None:
    await page.goto("/login")
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    if await page.get_by_role("heading", name="Sign in").count():
        raise SystemExit("the dashboard did not accept JOBDECK_TOKEN")


async def main(url: str, job_id: str | None, token: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(base_url=url, viewport={"width": 1280, "height": 900})
        await _sign_in(page, token)
        job = f"/jobs/{job_id}" if job_id else await _a_telling_job(page)
        shots = {
            "dashboard.png": "/",
            "jobs.png": "/jobs",
            "job.png": job,
            "types.png": "/types",
            "analytics.png": "/analytics?window=24h",
        }
        for name, path in shots.items():
            await page.goto(path)
            await page.wait_for_load_state("networkidle")
            # caret="initial": hiding the caret would inject a style our CSP rightly refuses.
            await page.screenshot(path=DOCS / name, caret="initial", full_page=name != "jobs.png")
            print(f"wrote docs/{name}")
        await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:3001")
    parser.add_argument("--job", help="the job to show (default: the latest failed one)")
    arguments = parser.parse_args()
    token = os.environ.get("JOBDECK_TOKEN")
    if not token:
        raise SystemExit("JOBDECK_TOKEN is required: a viewer's token or above, to sign in")
    asyncio.run(main(arguments.url, arguments.job, token))
