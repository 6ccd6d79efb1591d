"""The `email` job: send a message through SMTP, or into the outbox when no server is set.

`build_message` and `deliver` are shared with notifications sent on the `email` channel.
"""

from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr
from typing import Any
from uuid import UUID

import aiosmtplib

from job_contract import EmailPayload
from worker_service.runner.context import JobContext
from worker_service.runner.handlers import PermanentFailure
from worker_service.runner.outbox import outbox_path, write_outbox_file
from worker_service.runner.settings import RunnerSettings
from worker_service.runner.smtp_url import SmtpServer, parse_smtp_url

TIMEOUT_SECONDS = 30
# Per SMTP command; leaves room inside TIMEOUT_SECONDS for connect, login and DATA.
SMTP_COMMAND_TIMEOUT_SECONDS = 10


class DeliveryDeferred(Exception):
    """The SMTP server refused the recipient for now (a 4xx answer): try again later."""


async def handle(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.payload
    assert isinstance(payload, EmailPayload)
    message = build_message(ctx.settings, ctx.id, payload.to, payload.subject, payload.body)
    return await deliver(message, ctx.settings, ctx.id)


def build_message(
    settings: RunnerSettings, job_id: UUID, to: str, subject: str, body: str
) -> EmailMessage:
    """A complete message. Its Message-ID is derived from the job id, so a retry that
    sends the message again carries the same id and mail clients can drop the duplicate."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    # Header values cannot carry line breaks; a subject typed with one still reads fine.
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{job_id}@{_sender_domain(settings)}>"
    message["X-Jobdeck-Job"] = str(job_id)
    message.set_content(body)
    return message


def _sender_domain(settings: RunnerSettings) -> str:
    _name, address = parseaddr(settings.smtp_from)
    return address.rpartition("@")[2] or "localhost"


async def deliver(message: EmailMessage, settings: RunnerSettings, job_id: UUID) -> dict[str, Any]:
    """Send through SMTP_URL's server; with none configured, write the job's .eml file."""
    if settings.smtp_url is None:
        path = outbox_path(settings, "email", job_id, ".eml")
        await write_outbox_file(path, bytes(message))
        return {"delivered_via": "outbox", "path": str(path)}
    await _send(message, settings.smtp_from, parse_smtp_url(settings.smtp_url))
    return {"delivered_via": "smtp", "message_id": message["Message-ID"]}


async def _send(message: EmailMessage, sender: str, server: SmtpServer) -> None:
    """Send one message; a 5xx answer is final, everything else may pass with a retry."""
    try:
        await aiosmtplib.send(
            message,
            sender=parseaddr(sender)[1],
            recipients=[address for _name, address in getaddresses(message.get_all("To", []))],
            hostname=server.hostname,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            start_tls=server.start_tls,
            timeout=SMTP_COMMAND_TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        refusals = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
        if all(refusal.code >= 500 for refusal in error.recipients):
            raise PermanentFailure(f"SMTP server refused {refusals}") from error
        raise DeliveryDeferred(f"SMTP server deferred {refusals}") from error
    except aiosmtplib.SMTPResponseException as error:
        if error.code >= 500:
            refusal = f"{error.code} {error.message}"
            raise PermanentFailure(f"SMTP server refused the message: {refusal}") from error
        raise
