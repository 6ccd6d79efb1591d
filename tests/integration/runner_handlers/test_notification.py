"""The notification handler: the webhook with its retries, the outbox, and the email channel."""

import json

import pytest

from job_contract import NotificationPayload
from tests.integration.runner_handlers.conftest import (
    LocalSmtpServer,
    Webhook,
    job_context,
    read_eml,
)
from tests.servers import free_port
from worker_service.runner.handlers import PermanentFailure
from worker_service.runner.handlers.notification import WebhookUnavailable, handle
from worker_service.runner.settings import RunnerSettings

PUSH = NotificationPayload(user_id="user-42", channel="push", message="Your export is ready")


def _with_webhook(settings: RunnerSettings, url: str) -> RunnerSettings:
    return settings.model_copy(update={"notify_webhook_url": url})


async def test_push_is_posted_to_the_webhook_as_json(
    settings: RunnerSettings, webhook: Webhook
) -> None:
    ctx = job_context(PUSH, _with_webhook(settings, webhook.url))

    result = await handle(ctx)

    [request] = webhook.received
    assert request.path == "/hook"
    assert request.body == {
        "job_id": str(ctx.id),
        "user_id": "user-42",
        "channel": "push",
        "message": "Your export is ready",
    }
    assert request.headers["Idempotency-Key"] == str(ctx.id)
    assert result == {"delivered_via": "webhook", "status": 200, "tries": 1}


async def test_sms_goes_to_the_same_webhook(settings: RunnerSettings, webhook: Webhook) -> None:
    sms = NotificationPayload(user_id="+15550100", channel="sms", message="Code: 1234")

    await handle(job_context(sms, _with_webhook(settings, webhook.url)))

    assert [request.body["channel"] for request in webhook.received] == ["sms"]


async def test_webhook_5xx_is_retried_with_backoff_until_it_succeeds(
    settings: RunnerSettings, webhook: Webhook
) -> None:
    webhook.answers.extend([500, 503])

    result = await handle(job_context(PUSH, _with_webhook(settings, webhook.url)))

    assert result == {"delivered_via": "webhook", "status": 200, "tries": 3}
    first, second, third = (request.at for request in webhook.received)
    assert second - first >= 0.19
    assert third - second >= 0.39


@pytest.mark.parametrize("status", [408, 429])
async def test_webhook_asking_to_come_back_later_is_retried(
    settings: RunnerSettings, webhook: Webhook, status: int
) -> None:
    webhook.answers.append(status)

    result = await handle(job_context(PUSH, _with_webhook(settings, webhook.url)))

    assert result["tries"] == 2


async def test_webhook_failing_every_try_is_a_retryable_failure_naming_host_and_status(
    settings: RunnerSettings, webhook: Webhook
) -> None:
    webhook.answers.extend([500, 500, 502])

    with pytest.raises(WebhookUnavailable) as failure:
        await handle(job_context(PUSH, _with_webhook(settings, webhook.url)))

    assert len(webhook.received) == 3
    assert f"webhook {_origin(webhook)} failed 3 tries" in str(failure.value)
    assert "502 Bad Gateway" in str(failure.value)


async def test_webhook_4xx_is_a_permanent_failure_naming_the_status_without_retrying(
    settings: RunnerSettings, webhook: Webhook
) -> None:
    webhook.answers.append(400)

    with pytest.raises(PermanentFailure, match="answered 400 Bad Request"):
        await handle(job_context(PUSH, _with_webhook(settings, webhook.url)))

    assert len(webhook.received) == 1


async def test_unreachable_webhook_is_tried_three_times_then_fails_retryably(
    settings: RunnerSettings,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there

    with pytest.raises(WebhookUnavailable, match=r"failed 3 tries; last: ConnectError"):
        await handle(job_context(PUSH, _with_webhook(settings, url)))


# --- the webhook's URL is a secret: failures name its scheme and host alone ---------------------

# Where chat services and notification gateways put the credential of a webhook.
SECRET = "T0123456-B0123456-XXXXsecretXXXX"
SECRET_PLACES = {
    "path": f"/hook/services/{SECRET}",
    "query": f"/hook?token={SECRET}&channel=ops",
    "credentials": "/hook",
}


def _origin(webhook: Webhook) -> str:
    return webhook.url.removesuffix("/hook")


def _secret_url(webhook: Webhook, place: str) -> str:
    origin = _origin(webhook)
    if place == "credentials":
        origin = origin.replace("http://", f"http://jobdeck:{SECRET}@")
    return origin + SECRET_PLACES[place]


@pytest.mark.parametrize("place", SECRET_PLACES)
async def test_a_failing_webhook_is_named_by_scheme_and_host_never_its_token(
    settings: RunnerSettings, webhook: Webhook, place: str
) -> None:
    webhook.answers.extend([503, 503, 503])

    with pytest.raises(WebhookUnavailable) as failure:
        await handle(job_context(PUSH, _with_webhook(settings, _secret_url(webhook, place))))

    assert len(webhook.received) == 3  # the request did go to the secret URL
    message = str(failure.value)
    assert f"webhook {_origin(webhook)} failed 3 tries" in message
    assert SECRET not in message
    assert "503 Service Unavailable" in message


@pytest.mark.parametrize("place", SECRET_PLACES)
async def test_a_refusing_webhook_that_echoes_its_path_does_not_leak_the_token(
    settings: RunnerSettings, webhook: Webhook, place: str
) -> None:
    webhook.answers.append(404)  # the peer's answer repeats the path it was asked

    with pytest.raises(PermanentFailure) as failure:
        await handle(job_context(PUSH, _with_webhook(settings, _secret_url(webhook, place))))

    message = str(failure.value)
    assert message.startswith(f"webhook {_origin(webhook)} answered 404 Not Found")
    assert SECRET not in message


async def test_an_unreachable_webhook_is_named_without_its_token(
    settings: RunnerSettings,
) -> None:
    url = f"https://jobdeck:{SECRET}@127.0.0.1:{free_port()}/hook/{SECRET}?key={SECRET}"

    with pytest.raises(WebhookUnavailable) as failure:
        await handle(job_context(PUSH, _with_webhook(settings, url)))

    assert str(failure.value).startswith("webhook https://127.0.0.1:")
    assert SECRET not in str(failure.value)


async def test_without_webhook_push_is_written_to_the_outbox_as_json(
    settings: RunnerSettings,
) -> None:
    ctx = job_context(PUSH, settings)

    result = await handle(ctx)

    path = settings.outbox_dir / "notifications" / f"{ctx.id}.json"
    assert result == {"delivered_via": "outbox", "path": str(path)}
    assert json.loads(path.read_text()) == {
        "job_id": str(ctx.id),
        "user_id": "user-42",
        "channel": "push",
        "message": "Your export is ready",
    }
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


async def test_email_notification_to_an_address_is_sent_like_an_email_job(
    settings: RunnerSettings, smtp_server: LocalSmtpServer
) -> None:
    payload = NotificationPayload(
        user_id="ada@example.com", channel="email", message="Export ready\nDownload it today."
    )
    ctx = job_context(payload, settings.model_copy(update={"smtp_url": smtp_server.url}))

    result = await handle(ctx)

    [delivery] = smtp_server.mailbox.delivered
    assert delivery.rcpt_tos == ["ada@example.com"]
    assert delivery.message["Subject"] == "Export ready"
    assert delivery.message["X-Jobdeck-Job"] == str(ctx.id)
    assert delivery.message.get_content() == "Export ready\nDownload it today.\n"
    assert result == {
        "delivered_via": "smtp",
        "message_id": delivery.message["Message-ID"],
        "to": "ada@example.com",
    }


async def test_email_notification_to_a_user_id_goes_to_the_notification_domain(
    settings: RunnerSettings,
) -> None:
    payload = NotificationPayload(user_id="user-42", channel="email", message="Export ready")
    ctx = job_context(payload, settings)

    result = await handle(ctx)

    path = settings.outbox_dir / "email" / f"{ctx.id}.eml"
    assert result == {
        "delivered_via": "outbox",
        "path": str(path),
        "to": "user-42@users.example.com",
    }
    assert read_eml(path)["To"] == "user-42@users.example.com"


@pytest.mark.parametrize("user_id", ["ada lovelace", "ada@", "a@b@c"])
async def test_email_notification_to_a_user_id_that_makes_no_address_fails_for_good(
    settings: RunnerSettings, user_id: str
) -> None:
    payload = NotificationPayload(user_id=user_id, channel="email", message="Export ready")

    with pytest.raises(PermanentFailure, match="gives no e-mail address"):
        await handle(job_context(payload, settings))

    assert not settings.outbox_dir.exists()
