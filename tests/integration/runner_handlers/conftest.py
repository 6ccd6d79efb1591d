"""Handlers called directly with a real JobContext, against a local SMTP server (aiosmtpd),
a local HTTP server standing in for the notification webhook, and an outbox in tmp_path."""

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from job_contract import EmailPayload, JobType, NotificationPayload, ReportPayload
from tests.peers import (
    SMTP_LOGIN,
    Delivery,
    LocalSmtpServer,
    Mailbox,
    Webhook,
    smtp_server,
    webhook,
)
from worker_service.runner.context import FetchReportRows, JobContext, UploadArtifact
from worker_service.runner.settings import RunnerSettings


@pytest.fixture
def settings(tmp_path: Path) -> RunnerSettings:
    """No SMTP server, no webhook: everything goes to the outbox unless a test says so.
    Every field a handler reads is given, so a developer's .env cannot change the tests."""
    return RunnerSettings(
        jobdeck_token="jd_fake-handlers-here-never-call-the-service",
        smtp_url=None,
        smtp_from="jobdeck@example.com",
        notify_webhook_url=None,
        notify_email_domain="users.example.com",
        outbox_dir=tmp_path / "outbox",
    )


_JOB_TYPES: dict[type[BaseModel], JobType] = {
    EmailPayload: JobType.EMAIL,
    ReportPayload: JobType.REPORT,
    NotificationPayload: JobType.NOTIFICATION,
}


async def _no_upload(content: bytes, content_type: str, filename: str) -> None:
    raise AssertionError("this handler should not upload an artifact")


async def _no_report_rows(report_type: str, start: object, end: object) -> list[dict[str, Any]]:
    raise AssertionError("this handler should not ask for report rows")


def job_context(
    payload: BaseModel,
    settings: RunnerSettings,
    upload_artifact: UploadArtifact = _no_upload,
    fetch_report_rows: FetchReportRows = _no_report_rows,
    job_id: UUID | None = None,
) -> JobContext:
    """The context the runner would build for a freshly claimed job with this payload."""
    return JobContext(
        id=job_id or uuid4(),
        type=_JOB_TYPES[type(payload)],
        attempt=1,
        payload=payload,
        settings=settings,
        upload_artifact=upload_artifact,
        fetch_report_rows=fetch_report_rows,
    )


def read_eml(path: Path | str) -> EmailMessage:
    """An outbox .eml file, parsed the way a mail client would."""
    return cast(
        EmailMessage, BytesParser(policy=policy.default).parsebytes(Path(path).read_bytes())
    )


__all__ = [
    "SMTP_LOGIN", "Delivery", "LocalSmtpServer", "Mailbox", "Webhook", "smtp_server", "webhook",
]  # fmt: skip
