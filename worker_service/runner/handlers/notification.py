"""The `notification` job: push and sms go to NOTIFY_WEBHOOK_URL, email goes out as an e-mail.

Without a webhook, push and sms are written to the outbox as the JSON the webhook would get.
"""

import asyncio
import json
import re
import ssl
from email.errors import MessageError
from email.headerregistry import Address
from functools import cache
from typing import Any
from urllib.parse import urlsplit

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
# A piece of a webhook URL this long may be its token (shorter ones: `hooks`, `v1`).
_TOKEN_LIKE_CHARS = 8
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
    """POST `body`, retrying connection errors, 5xx, 408 and 429 with a short back-off.

    A failure names the webhook by its scheme and host alone: webhook URLs often carry their
    token in the path or the query, and the message becomes the job's error, which every
    viewer of the dashboard reads (and the runner logs)."""
    headers = {"Idempotency-Key": body["job_id"]}  # lets the receiver drop a retried duplicate
    webhook = f"webhook {origin_of(url)}"
    last_problem = ""
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS, verify=_tls_context()) as http:
        for tries, delay in enumerate((*WEBHOOK_BACKOFF_SECONDS, None), start=1):
            try:
                response = await http.post(url, json=body, headers=headers)
            except httpx.TransportError as error:
                last_problem = without_secrets(f"{type(error).__name__}: {error}", url)
            else:
                if response.is_success:
                    return {
                        "delivered_via": "webhook",
                        "status": response.status_code,
                        "tries": tries,
                    }
                if not _worth_retrying(response.status_code):
                    answer = without_secrets(_describe(response), url)
                    raise PermanentFailure(f"{webhook} answered {answer}")
                last_problem = without_secrets(_describe(response), url)
            if delay is not None:
                await asyncio.sleep(delay)
    raise WebhookUnavailable(f"{webhook} failed {tries} tries; last: {last_problem}")


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL: where it goes, without what lets one use it."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def without_secrets(text: str, url: str) -> str:
    """`text` with the URL's credentials, path and query masked wherever they appear, whole
    or a token-long piece of them: an error page that echoes the path it was asked for
    would otherwise repeat the token."""
    parts = urlsplit(url)
    pieces = [parts.path.strip("/"), parts.query, parts.netloc.rpartition("@")[0]]
    pieces += re.split(r"[/?&=:@]", f"{parts.path}/{parts.query}")
    secrets = {piece for piece in pieces if len(piece) >= _TOKEN_LIKE_CHARS}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


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
