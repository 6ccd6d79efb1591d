"""Each job type from the producer API to its real effect, through a real runner process."""

import asyncio
import csv
import io
import signal

import httpx

from tests.integration.runner.conftest import StartRunner
from tests.peers import LocalSmtpServer, Webhook


async def finished(api: httpx.AsyncClient, job_id: str, seconds: float = 30) -> dict:
    for _ in range(int(seconds / 0.1)):
        job = (await api.get(f"/jobs/{job_id}")).json()
        if job["status"] in ("completed", "failed"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {seconds} s")


async def run_to_the_end(
    api: httpx.AsyncClient, start_runner: StartRunner, job_id: str, *args: str, **settings: object
) -> dict:
    """Start a runner, wait until the job is finished, stop the runner; return the job."""
    runner = start_runner(*args, **settings)
    try:
        return await finished(api, job_id)
    finally:
        runner.send_signal(signal.SIGTERM)
        await asyncio.to_thread(runner.wait, 15)


async def create(api: httpx.AsyncClient, job: dict) -> str:
    response = await api.post("/jobs", json=job)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_email_job_is_delivered_over_smtp(
    api: httpx.AsyncClient, start_runner: StartRunner, smtp_server: LocalSmtpServer
) -> None:
    job_id = await create(
        api,
        {
            "type": "email",
            "payload": {"to": "ada@example.com", "subject": "Hi Ada", "body": "Welcome!"},
        },
    )

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
    job_id = await create(api, {"type": "notification", "payload": payload})

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
    await create(
        api,
        {
            "type": "email",
            "payload": {"to": "a@example.com", "subject": "s", "body": "b"},
            "scheduled_for": "2099-01-01T00:00:00Z",
        },
    )
    job_id = await create(api, {"type": "report", "payload": payload})

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
    job_id = await create(api, {"type": "report", "payload": payload})

    job = await run_to_the_end(api, start_runner, job_id, "--types", "report")
    artifact = await api.get(f"/jobs/{job_id}/artifact")

    assert job["status"] == "completed"
    assert artifact.headers["content-type"] == "application/pdf"
    assert artifact.content.startswith(b"%PDF")
    assert artifact.content.rstrip().endswith(b"%%EOF")
