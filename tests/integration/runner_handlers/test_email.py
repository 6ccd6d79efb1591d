"""The email handler: SMTP delivery and its failures, and the outbox."""

import re
from pathlib import Path

import aiosmtplib
import pytest

from job_contract import EmailPayload
from tests.integration.runner_handlers.conftest import (
    SMTP_LOGIN,
    LocalSmtpServer,
    job_context,
    read_eml,
)
from tests.servers import free_port
from worker_service.runner.handlers import PermanentFailure
from worker_service.runner.handlers.email import DeliveryDeferred, handle
from worker_service.runner.settings import RunnerSettings

WELCOME = EmailPayload(to="ada@example.com", subject="Welcome aboard", body="Hello Ada!\nWelcome.")


async def test_email_is_sent_over_smtp_with_the_job_id_in_its_headers(
    settings: RunnerSettings, smtp_server: LocalSmtpServer
) -> None:
    ctx = job_context(WELCOME, settings.model_copy(update={"smtp_url": smtp_server.url}))

    result = await handle(ctx)

    [delivery] = smtp_server.mailbox.delivered
    assert (delivery.mail_from, delivery.rcpt_tos) == ("jobdeck@example.com", ["ada@example.com"])
    message = delivery.message
    assert message["From"] == "jobdeck@example.com"
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Welcome aboard"
    assert message["X-Jobdeck-Job"] == str(ctx.id)
    assert message["Message-ID"] == f"<{ctx.id}@example.com>"
    assert message.get_content() == "Hello Ada!\nWelcome.\n"
    assert result == {"delivered_via": "smtp", "message_id": message["Message-ID"]}


async def test_smtp_login_uses_the_percent_decoded_credentials_in_the_url(
    settings: RunnerSettings, smtp_server: LocalSmtpServer
) -> None:
    url = f"smtp://ada:s3cret%2Fpass@127.0.0.1:{smtp_server.port}"
    ctx = job_context(WELCOME, settings.model_copy(update={"smtp_url": url}))

    await handle(ctx)

    assert smtp_server.mailbox.logins == [SMTP_LOGIN]
    assert len(smtp_server.mailbox.delivered) == 1


async def test_recipient_refused_with_550_fails_the_job_for_good_with_the_servers_words(
    settings: RunnerSettings, smtp_server: LocalSmtpServer
) -> None:
    smtp_server.mailbox.refusals["ada@example.com"] = "550 5.1.1 No such user here"
    ctx = job_context(WELCOME, settings.model_copy(update={"smtp_url": smtp_server.url}))

    refusal = re.escape("ada@example.com: 550 5.1.1 No such user here")
    with pytest.raises(PermanentFailure, match=refusal):
        await handle(ctx)

    assert smtp_server.mailbox.delivered == []


async def test_recipient_deferred_with_450_is_a_retryable_failure(
    settings: RunnerSettings, smtp_server: LocalSmtpServer
) -> None:
    smtp_server.mailbox.refusals["ada@example.com"] = "450 4.2.1 Mailbox busy, try later"
    ctx = job_context(WELCOME, settings.model_copy(update={"smtp_url": smtp_server.url}))

    with pytest.raises(DeliveryDeferred, match=re.escape("450 4.2.1 Mailbox busy")):
        await handle(ctx)


async def test_unreachable_smtp_server_is_a_retryable_failure(settings: RunnerSettings) -> None:
    url = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    ctx = job_context(WELCOME, settings.model_copy(update={"smtp_url": url}))

    with pytest.raises(aiosmtplib.SMTPConnectError):
        await handle(ctx)


async def test_without_smtp_url_the_email_is_written_to_the_outbox_as_eml(
    settings: RunnerSettings,
) -> None:
    ctx = job_context(WELCOME, settings)

    result = await handle(ctx)

    path = settings.outbox_dir / "email" / f"{ctx.id}.eml"
    assert result == {"delivered_via": "outbox", "path": str(path)}
    message = read_eml(path)
    assert (message["To"], message["Subject"]) == ("ada@example.com", "Welcome aboard")
    assert message["X-Jobdeck-Job"] == str(ctx.id)
    assert message.get_content() == "Hello Ada!\nWelcome.\n"
    assert _names(path.parent) == [f"{ctx.id}.eml"]  # no temp file left behind


async def test_a_retried_email_job_overwrites_its_outbox_file(settings: RunnerSettings) -> None:
    ctx = job_context(WELCOME, settings)

    await handle(ctx)
    await handle(ctx)

    assert _names(settings.outbox_dir / "email") == [f"{ctx.id}.eml"]


async def test_a_subject_with_line_breaks_becomes_one_line(settings: RunnerSettings) -> None:
    payload = EmailPayload(to="ada@example.com", subject="Your\r\nreport  is ready", body="x")

    result = await handle(job_context(payload, settings))

    assert read_eml(result["path"])["Subject"] == "Your report is ready"


def _names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())
