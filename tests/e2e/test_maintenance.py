"""/maintenance in Chromium: the preview, its confirmation and the history through htmx,
and the export downloaded as a file."""

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Page, expect

from tests.factories import insert_finished_jobs

pytestmark = pytest.mark.browser


async def test_preview_confirm_and_download_an_export(page: Page, db: asyncpg.Connection) -> None:
    await insert_finished_jobs(db, 4, "completed", 10)
    await insert_finished_jobs(db, 1, "cancelled", 2)
    day = await db.fetchval(
        "SELECT (updated_at AT TIME ZONE 'UTC')::date FROM jobs WHERE status = 'cancelled'"
    )
    await page.goto("/maintenance")

    await page.get_by_role("button", name="Preview a clean-up").click()
    await expect(page.locator("#preview")).to_have_text(
        "Would delete 4 completed, 0 failed, 0 cancelled."
    )
    await page.get_by_role("button", name="Delete them now").click()

    await expect(page.get_by_role("status")).to_contain_text("Deleted 4 completed")
    await expect(page.locator("#history tbody tr")).to_have_count(2)
    assert await db.fetchval("SELECT count(*) FROM jobs") == 1

    await page.locator("#export-date").fill(day.isoformat())
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Download NDJSON").click()
    download = await waiting.value
    assert download.suggested_filename == f"jobs-{day}.ndjson"
    saved = await asyncio.to_thread(Path(await download.path()).read_text)
    lines = saved.splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["cancelled"]
