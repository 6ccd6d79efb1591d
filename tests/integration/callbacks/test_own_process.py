"""`python -m worker_service.callbacks`: the deliverer as a process of its own, beside a worker
service that sends none (CALLBACK_IN_SERVICE=false, as the shared test service runs)."""

import asyncio
import json
import signal

import httpx

from devstack.processes import REPO_ROOT, deliverer_process
from tests.callbacks import SECRET, deliveries, finished_job, verify_signature
from tests.eventually import eventually
from tests.receiver import Receiver


async def test_the_deliverer_process_sends_what_the_service_queued_and_stops_on_sigterm(
    api: httpx.AsyncClient, worker: httpx.AsyncClient, receiver: Receiver, database_url: str
) -> None:
    log = REPO_ROOT / ".data" / "logs" / "callbacks-process.log"
    env = {
        "DATABASE_URL": database_url,
        "WEBHOOK_SECRET": SECRET,
        "CALLBACK_ALLOW_PRIVATE": "true",
        # Polling once an hour: a NOTIFY from the outbox insert wakes it.
        "CALLBACK_INTERVAL_SECONDS": "3600",
    }
    with deliverer_process(env, log) as process:
        await eventually(
            lambda: asyncio.to_thread(log.read_text), lambda text: "delivering callbacks" in text
        )
        job = await finished_job(api, worker, receiver.url)

        [delivery] = await eventually(
            lambda: deliveries(api, job["id"]), lambda d: d[0]["state"] == "delivered"
        )
        [request] = receiver.requests
        assert verify_signature(SECRET, request.headers, request.body)
        assert json.loads(request.body)["data"]["id"] == job["id"]
        assert delivery["webhook_id"] == request.headers["webhook-id"]

        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 15) == 0
