"""The `notification` job: push and sms go to NOTIFY_WEBHOOK_URL, email goes out as an e-mail.

Without a webhook, push and sms are written to the outbox as the JSON the webhook would get.
"""

import asyncio
import json
import ssl
from email.errors import MessageError
from email.headerregistry import Address
from functools import cache
from typing import Any

import certifi
import httpx

from job_contract import NotificationPayload
from worker_service.runner.context import JobContext
from worker_service.runner.handlers import PermanentFailure
from worker_service.runner.handlers.email import build_message, deliver
from worker_service.runner.outbox import outbox_path, write_outbox_file

TIMEOUT_SECONDS = 30
WEBHOOK_TIMEOUT_SECONDS = 5
# Waits between tries: three tries in all, at worst ~16 s, well inside TIMEOUT_SECONDS.
WEBHOOK_BACKOFF_SECONDS = (0.2, 0.4)
# 408 and 429 say "not now", so they are retried like a 5xx; any other 4xx is final.
_RETRYABLE_4XX = frozenset({408, 429})


class WebhookUnavailable(Exception):
    """The webhook could not be reached, or kept failing, through every try."""


async def handle(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.payload
    assert isinstance(payload, NotificationPayload)
    if payload.channel == "email":
        return await _send_email(ctx, payload)
    body = {
        "job_id": str(ctx.id),
        "user_id": payload.user_id,
        "channel": payload.channel,
        "message": payload.message,
    }
    if ctx.settings.notify_webhook_url is None:
        path = outbox_path(ctx.settings, "notifications", ctx.id, ".json")
        content = json.dumps(body, indent=2, ensure_ascii=False).encode() + b"\n"
        await write_outbox_file(path, content)
        return {"delivered_via": "outbox", "path": str(path)}
    return await post_to_webhook(ctx.settings.notify_webhook_url, body)


async def _send_email(ctx: JobContext, payload: NotificationPayload) -> dict[str, Any]:
    to = recipient_address(payload.user_id, ctx.settings.notify_email_domain)
    message = build_message(ctx.settings, ctx.id, to, _subject(payload.message), payload.message)
    return {**await deliver(message, ctx.settings, ctx.id), "to": to}


def _subject(text: str) -> str:
    """The message's first line, shortened to fit a subject line that mail clients show whole."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first_line) > 78:
        return first_line[:75] + "..."
    return first_line or "Jobdeck notification"


def recipient_address(user_id: str, domain: str) -> str:
    """The user_id when it is an e-mail address, else `<user_id>@<domain>`.

    Parsed as an RFC 5322 addr-spec, so a user_id that cannot name a mailbox (spaces,
    several addresses) fails the job for good rather than bouncing on every retry.
    """
    spec = user_id if "@" in user_id else f"{user_id}@{domain}"
    try:
        return Address(addr_spec=spec).addr_spec
    except (ValueError, IndexError, MessageError):
        raise PermanentFailure(f"user_id {user_id!r} gives no e-mail address ({spec!r})") from None


async def post_to_webhook(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST `body`, retrying connection errors, 5xx, 408 and 429 with a short back-off."""
    headers = {"Idempotency-Key": body["job_id"]}  # lets the receiver drop a retried duplicate
    last_problem = ""
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS, verify=_tls_context()) as http:
        for tries, delay in enumerate((*WEBHOOK_BACKOFF_SECONDS, None), start=1):
            try:
                response = await http.post(url, json=body, headers=headers)
            except httpx.TransportError as error:
                last_problem = f"{type(error).__name__}: {error}"
            else:
                if response.is_success:
                    return {
                        "delivered_via": "webhook",
                        "status": response.status_code,
                        "tries": tries,
                    }
                if not _worth_retrying(response.status_code):
                    raise PermanentFailure(f"webhook {url} answered {_describe(response)}")
                last_problem = _describe(response)
            if delay is not None:
                await asyncio.sleep(delay)
    raise WebhookUnavailable(f"webhook {url} failed {tries} tries; last: {last_problem}")


def _worth_retrying(status: int) -> bool:
    return status >= 500 or status in _RETRYABLE_4XX


def _describe(response: httpx.Response) -> str:
    """`503 Service Unavailable: <start of the body>`, enough to tell failures apart."""
    text = " ".join(response.text.split())[:200]
    return f"{response.status_code} {response.reason_phrase}" + (f": {text}" if text else "")


@cache
def _tls_context() -> ssl.SSLContext:
    """Built once: loading the CA bundle for every notification would cost more than the POST."""
    return ssl.create_default_context(cafile=certifi.where())
