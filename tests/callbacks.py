"""Callback helpers shared by the integration and browser tests: the test secret, an
in-process deliverer, an independent signature check, and a job finished with a callback."""

import base64
import hashlib
import hmac
from typing import Any

import asyncpg
import httpx

from tests.factories import create_job, email_job
from worker_service.callbacks.deliverer import CallbackDeliverer, DelivererSettings
from worker_service.callbacks.signing import WebhookSigner, secret_bytes
from worker_service.callbacks.store import CallbackStore
from worker_service.callbacks.wakeups import DueListener

SECRET = "whsec_" + base64.b64encode(b"jobdeck-test-secret-of-32-bytes!").decode()
NEXT_SECRET = "whsec_" + base64.b64encode(b"the-next-secret-we-rotate-to-now!").decode()
# Small enough that retries take milliseconds; the back-off's shape is the unit tests'.
TEST_SETTINGS = DelivererSettings(
    retry_base_seconds=0.01, timeout_seconds=1, max_attempts=3, allow_private=True
)


def make_deliverer(
    pool: asyncpg.Pool,
    secrets: tuple[str, ...] = (SECRET,),
    listener: DueListener | None = None,
    **settings: Any,
) -> CallbackDeliverer:
    return CallbackDeliverer(
        CallbackStore(pool),
        WebhookSigner([secret_bytes(secret) for secret in secrets]),
        TEST_SETTINGS.model_copy(update=settings),
        listener,
    )


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check written from the specification, independently of the
    `standardwebhooks` package that signs: any listed v1 signature made with the key."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(signature, expected)
        for version, _, signature in (
            entry.partition(",") for entry in headers["webhook-signature"].split(" ")
        )
    )


async def finished_job(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    callback_url: str,
    *,
    outcome: str = "complete",
    **job: Any,
) -> dict[str, Any]:
    """A job with `callback_url`, claimed and then completed (or failed, not retryable)."""
    created = await create_job(api, email_job(callback_url=callback_url, **job))
    claimed = await worker.post("/process", params={"worker_id": "runner-a", "types": "email"})
    assert claimed.status_code == 200 and claimed.json()["id"] == created["id"], claimed.text
    if outcome == "complete":
        done = await worker.post(f"/complete/{created['id']}", json={"result": {"sent": True}})
    else:
        done = await worker.post(
            f"/fail/{created['id']}", json={"error": "mailbox gone", "retryable": False}
        )
    assert done.status_code == 200, done.text
    return created


async def deliveries(api: httpx.AsyncClient, job_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/jobs/{job_id}/deliveries")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["deliveries"]
    return listed


async def timeline(api: httpx.AsyncClient, job_id: str) -> list[str]:
    job = (await api.get(f"/jobs/{job_id}")).json()
    return [event["kind"] for event in job["events"]]
