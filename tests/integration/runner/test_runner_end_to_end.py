"""Each job type from the producer API to its real effect, through a real runner process."""

import asyncio
import csv
import io
import signal
from typing import Any

import httpx

from job_contract import FINAL_STATUSES
from tests.eventually import eventually
from tests.factories import create_job, email_job, notification_job, report_job
from tests.integration.runner.conftest import StartRunner
from tests.peers import LocalSmtpServer, Webhook


async def run_to_the_end(
    api: httpx.AsyncClient, start_runner: StartRunner, job_id: str, *args: str, **settings: object
) -> dict[str, Any]:
    """Start a runner, wait until the job is finished, stop the runner; return the job."""

    async def the_job() -> dict[str, Any]:
        job: dict[str, Any] = (await api.get(f"/jobs/{job_id}")).json()
        return job

    runner = start_runner(*args, **settings)
    try:
        return await eventually(
            the_job, until=lambda job: job["status"] in FINAL_STATUSES, seconds=30
        )
    finally:
        runner.send_signal(signal.SIGTERM)
        await asyncio.to_thread(runner.wait, 15)


async def test_email_job_is_delivered_over_smtp(
    api: httpx.AsyncClient, start_runner: StartRunner, smtp_server: LocalSmtpServer
) -> None:
    payload = {"to": "ada@example.com", "subject": "Hi Ada", "body": "Welcome!"}
    job_id = (await create_job(api, email_job(payload=payload)))["id"]

    job = await run_to_the_end(
        api, start_runner, job_id, smtp_url=smtp_server.url, smtp_from="jobdeck@example.com"
    )

    assert (job["status"], job["result"]["delivered_via"]) == ("completed", "smtp")
    [delivery] = smtp_server.mailbox.delivered
    assert delivery.rcpt_tos == ["ada@example.com"]
    assert delivery.message["Subject"] == "Hi Ada"
    assert delivery.message["X-Jobdeck-Job"] == job_id
    assert delivery.message.get_content().strip() == "Welcome!"


async def test_push_notification_is_posted_to_the_webhook(
    api: httpx.AsyncClient, start_runner: StartRunner, webhook: Webhook
) -> None:
    payload = {"user_id": "u-7", "channel": "push", "message": "Your export is ready"}
    job_id = (await create_job(api, notification_job(payload=payload)))["id"]

    job = await run_to_the_end(api, start_runner, job_id, notify_webhook_url=webhook.url)

    assert (job["status"], job["result"]["delivered_via"]) == ("completed", "webhook")
    [received] = webhook.received
    assert received.body == {"job_id": job_id, **payload}


async def test_csv_report_becomes_a_downloadable_artifact(
    api: httpx.AsyncClient, start_runner: StartRunner
) -> None:
    payload = {
        "report_type": "jobs_summary",
        "format": "csv",
        "date_range": {"start": "2000-01-01", "end": "2099-12-31"},
    }
    await create_job(api, email_job(scheduled_for="2099-01-01T00:00:00Z"))
    job_id = (await create_job(api, report_job(payload=payload)))["id"]

    job = await run_to_the_end(api, start_runner, job_id, "--types", "report")
    artifact = await api.get(f"/jobs/{job_id}/artifact")

    assert job["status"] == "completed", job["error"]
    assert artifact.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(artifact.text)))
    assert rows[0][0] == "type"
    assert {row[0] for row in rows[1:]} >= {"email", "report"}


async def test_pdf_report_becomes_a_downloadable_pdf(
    api: httpx.AsyncClient, start_runner: StartRunner
) -> None:
    payload = {
        "report_type": "throughput",
        "format": "pdf",
        "date_range": {"start": "2026-01-01", "end": "2026-12-31"},
    }
    job_id = (await create_job(api, report_job(payload=payload)))["id"]

    job = await run_to_the_end(api, start_runner, job_id, "--types", "report")
    artifact = await api.get(f"/jobs/{job_id}/artifact")

    assert job["status"] == "completed"
    assert artifact.headers["content-type"] == "application/pdf"
    assert artifact.content.startswith(b"%PDF")
    assert artifact.content.rstrip().endswith(b"%%EOF")
