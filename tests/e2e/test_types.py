"""Job types in Chromium: a custom type's generated form creates its job, and pausing a type
on /types stops a real runner claiming its jobs while another type's go on."""

import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from devstack import processes
from jobdeck_access.roles import Role
from tests.eventually import eventually
from tests.factories import create_job, email_job, notification_job
from tests.frontend.arrange import RESIZE_IMAGE, register_type

pytestmark = pytest.mark.browser

JOB_PAGE = re.compile(r"/jobs/[0-9a-f-]{36}$")


async def test_create_a_job_of_a_custom_type_through_its_generated_form(
    page: Page, api: httpx.AsyncClient
) -> None:
    await register_type(api, "resize_image", RESIZE_IMAGE, "Resize an image")
    await page.goto("/jobs/new")

    await page.locator("label.type-option", has_text="resize_image").click()
    await expect(page.locator("#payload-fields > legend")).to_have_text("Resize_image details")
    await page.get_by_label("Url").fill("https://example.com/cat.png")
    await page.get_by_label("Width").fill("640")
    await page.get_by_label("Quality").fill("0.75")
    await page.get_by_label("Format").select_option("webp")
    await page.get_by_label("Sharpen").check()
    await page.get_by_label("Taken on").fill("2026-11-01")
    await page.locator("#field-payload-crop-x").fill("10")
    await page.locator("#field-payload-crop-y").fill("20")
    await page.get_by_label("Tags").fill('["cats", "small"]')
    await page.get_by_label("Concurrency key").fill("customer-42")
    await page.get_by_role("button", name="Create job").click()

    await expect(page).to_have_url(JOB_PAGE)
    job = (await api.get(f"/jobs/{page.url.rsplit('/', 1)[1]}")).json()
    assert job["type"] == "resize_image" and job["concurrency_key"] == "customer-42"
    assert job["payload"] == {
        "url": "https://example.com/cat.png",
        "width": 640,
        "quality": 0.75,
        "format": "webp",
        "sharpen": True,
        "taken_on": "2026-11-01",
        "crop": {"x": 10, "y": 20},
        "tags": ["cats", "small"],
    }


@pytest.fixture
def runner(worker_url: str, tmp_path: Path, tokens: dict[Role, str]) -> Iterator[None]:
    """A real runner process taking e-mails and notifications (both land in an outbox)."""
    env = {
        "WORKER_SERVICE_URL": worker_url,
        "JOBDECK_TOKEN": tokens[Role.RUNNER],
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "HEARTBEAT_INTERVAL_SECONDS": "0.3",
        "LOG_LEVEL": "WARNING",
    }
    args = ["--concurrency", "1", "--types", "email,notification"]
    process = processes.start_runner(args, env, tmp_path / "runner.log")
    yield
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def statuses(api: httpx.AsyncClient, jobs: list[dict[str, Any]]) -> list[str]:
    return [(await api.get(f"/jobs/{job['id']}")).json()["status"] for job in jobs]


async def test_a_paused_type_waits_while_another_runs_then_resumes(
    page: Page, api: httpx.AsyncClient, runner: None
) -> None:
    await page.goto("/types")
    notification_row = page.locator("#type-notification")

    await page.get_by_role("button", name="Pause notification").click()
    await expect(notification_row.locator(".badge-paused")).to_have_text("paused")

    # Notifications first: a runner ignoring the pause would take them before the e-mails.
    held = [await create_job(api, notification_job()) for _ in range(2)]
    sent = [await create_job(api, email_job()) for _ in range(2)]
    await eventually(lambda: statuses(api, sent), lambda s: s == ["completed"] * 2)
    assert await statuses(api, held) == ["pending", "pending"]
    pending = notification_row.locator("td").nth(0)
    await expect(pending).to_have_text("2")  # the page refreshed itself

    await page.get_by_role("button", name="Resume notification").click()
    await expect(notification_row.locator(".badge-running")).to_have_text("running")

    await eventually(lambda: statuses(api, held), lambda s: s == ["completed"] * 2)
    await expect(pending).to_have_text("0")
