"""Callbacks end to end: the outcome queued with the job's own transaction, then delivered
signed, retried, stopped, refused, and listed, exactly as a receiver and a user see it."""

import asyncio
import json
from datetime import datetime

import asyncpg
import httpx

from tests.callbacks import (
    NEXT_SECRET,
    SECRET,
    deliveries,
    finished_job,
    make_deliverer,
    timeline,
    verify_signature,
)
from tests.eventually import eventually
from tests.factories import create_job, create_jobs, email_job
from tests.receiver import Answer, Receiver
from worker_service.callbacks.deliverer import CallbackDeliverer
from worker_service.callbacks.wakeups import DueListener
from worker_service.rescuer import Rescuer
from worker_service.store import create_pool


async def delivered(deliverer: CallbackDeliverer, api: httpx.AsyncClient, job_id: str) -> dict:
    """Run the deliverer until the job's newest delivery has ended; that delivery."""

    async def newest() -> dict:
        await deliverer.run_once()
        return (await deliveries(api, job_id))[0]

    return await eventually(newest, lambda d: d["state"] != "pending", seconds=10)


async def test_a_completed_job_is_told_once_signed_as_standard_webhooks_say(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    deliverer: CallbackDeliverer,
) -> None:
    job = await finished_job(api, worker, receiver.url)

    assert await deliverer.run_once() == 1
    assert await deliverer.run_once() == 0  # told once

    [request] = receiver.requests
    assert verify_signature(SECRET, request.headers, request.body)
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - datetime.now().timestamp()) < 60
    message = json.loads(request.body)
    assert (message["type"], message["data"]["id"], message["data"]["status"]) == (
        "job.completed",
        job["id"],
        "completed",
    )
    assert message["data"]["result"] == {"sent": True}
    assert message["data"]["callback_url"] == receiver.url
    [delivery] = await deliveries(api, job["id"])
    assert delivery["state"] == "delivered"
    assert delivery["webhook_id"] == request.headers["webhook-id"]
    assert [a["status_code"] for a in delivery["attempts"]] == [200]
    assert (await timeline(api, job["id"]))[-1] == "callback_delivered"


async def test_while_rotating_each_callback_carries_both_signatures(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    outbox_pool: asyncpg.Pool,
) -> None:
    rotating = make_deliverer(outbox_pool, secrets=(SECRET, NEXT_SECRET))
    await finished_job(api, worker, receiver.url)

    await rotating.run_once()
    await rotating.close()

    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verify_signature(SECRET, request.headers, request.body)
    assert verify_signature(NEXT_SECRET, request.headers, request.body)


async def test_a_job_failed_for_good_is_told_but_not_one_that_will_be_retried_or_cancelled(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    deliverer: CallbackDeliverer,
) -> None:
    failed = await finished_job(api, worker, receiver.url, outcome="fail")
    retried = await create_job(api, email_job(callback_url=receiver.url, max_attempts=3))
    await worker.post("/process", params={"worker_id": "runner-a"})
    answer = await worker.post(f"/fail/{retried['id']}", json={"error": "busy", "retryable": True})
    assert answer.json()["status"] == "pending"
    cancelled = await create_job(api, email_job(callback_url=receiver.url))
    assert (await api.delete(f"/jobs/{cancelled['id']}")).status_code == 200

    await deliverer.run_once()

    [request] = receiver.requests
    message = json.loads(request.body)
    assert (message["type"], message["data"]["id"], message["data"]["error"]) == (
        "job.failed",
        failed["id"],
        "mailbox gone",
    )
    assert await deliveries(api, retried["id"]) == []
    assert await deliveries(api, cancelled["id"]) == []


async def test_every_path_to_an_outcome_queues_it_in_the_same_transaction(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    db: asyncpg.Connection,
    receiver: Receiver,
    rescuer: Rescuer,
) -> None:
    batch = await create_jobs(api, [email_job(callback_url=receiver.url) for _ in range(3)])
    claimed = (await worker.post("/process", params={"worker_id": "r", "limit": 3})).json()["jobs"]
    acks = [{"id": job["id"], "attempt": 1, "result": {}} for job in claimed]
    assert len((await worker.post("/complete", json={"jobs": acks})).json()["completed"]) == 3
    lost = await create_job(api, email_job(callback_url=receiver.url, max_attempts=1))
    await worker.post("/process", params={"worker_id": "gone"})
    await db.execute(
        "UPDATE jobs SET locked_until = now() - interval '1 s' WHERE id = $1", lost["id"]
    )

    assert await rescuer.run_once() == 1

    queued = await db.fetch("SELECT job_id::text, event, state FROM callback_deliveries")
    assert sorted(tuple(row) for row in queued) == sorted(
        [(job["id"], "job.completed", "pending") for job in batch]
        + [(lost["id"], "job.failed", "pending")]
    )


async def test_failures_and_timeouts_are_retried_with_the_same_id_and_body(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    outbox_pool: asyncpg.Pool,
) -> None:
    patient = make_deliverer(outbox_pool, timeout_seconds=0.3, max_attempts=5)
    receiver.answer(Answer(500, body=b"database down"), Answer(delay_seconds=0.8))
    job = await finished_job(api, worker, receiver.url)

    delivery = await delivered(patient, api, job["id"])
    await patient.close()

    assert delivery["state"] == "delivered"
    tries = delivery["attempts"]
    assert [t["status_code"] for t in tries] == [500, None, 200]
    assert tries[0]["response_excerpt"] == "database down"
    assert "timed out" in tries[1]["error"]
    assert len(set(receiver.ids())) == 1
    assert len({request.body for request in receiver.requests}) == 1
    assert all(verify_signature(SECRET, r.headers, r.body) for r in receiver.requests)
    assert (await timeline(api, job["id"])).count("callback_delivered") == 1


async def test_410_stops_at_once_and_the_last_attempt_fails_for_good(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    deliverer: CallbackDeliverer,
) -> None:
    receiver.answer(Answer(410), *[Answer(503)] * 3)
    gone = await finished_job(api, worker, receiver.url)
    assert (await delivered(deliverer, api, gone["id"]))["attempts"][0]["status_code"] == 410
    assert len(receiver.requests) == 1

    failing = await finished_job(api, worker, receiver.url)
    delivery = await delivered(deliverer, api, failing["id"])

    assert delivery["state"] == "failed"
    assert [t["status_code"] for t in delivery["attempts"]] == [503, 503, 503]  # max_attempts 3
    job = (await api.get(f"/jobs/{failing['id']}")).json()
    assert job["events"][-1]["kind"] == "callback_failed"
    assert "gave up after 3 tries" in job["events"][-1]["detail"]


async def test_retry_after_is_honoured(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    deliverer: CallbackDeliverer,
) -> None:
    receiver.answer(Answer(429, headers={"Retry-After": "120"}))
    job = await finished_job(api, worker, receiver.url)

    await deliverer.run_once()
    assert await deliverer.run_once() == 0  # not due: the receiver asked for two minutes

    [delivery] = await deliveries(api, job["id"])
    wait = datetime.fromisoformat(delivery["next_try_at"]) - datetime.fromisoformat(
        delivery["attempts"][0]["at"]
    )
    assert (delivery["state"], delivery["attempts"][0]["status_code"]) == ("pending", 429)
    assert 115 <= wait.total_seconds() <= 125


async def test_a_loopback_callback_is_refused_once_for_good_unless_private_is_allowed(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    outbox_pool: asyncpg.Pool,
) -> None:
    strict = make_deliverer(outbox_pool, allow_private=False)
    job = await finished_job(api, worker, receiver.url)

    await strict.run_once()
    await strict.close()

    [delivery] = await deliveries(api, job["id"])
    [attempt] = delivery["attempts"]
    assert delivery["state"] == "failed"
    assert attempt["status_code"] is None
    assert "refused: 127.0.0.1 resolves to 127.0.0.1" in attempt["error"]
    assert receiver.requests == []


async def test_an_operator_can_send_the_outcome_again_as_a_new_message(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    deliverer: CallbackDeliverer,
) -> None:
    job = await finished_job(api, worker, receiver.url)
    await deliverer.run_once()

    again = await api.post(f"/jobs/{job['id']}/deliveries")
    await deliverer.run_once()

    assert again.status_code == 202
    assert again.json()["delivery"]["state"] == "pending"
    first, second = receiver.requests
    assert first.headers["webhook-id"] != second.headers["webhook-id"]
    assert json.loads(second.body)["type"] == "job.completed"
    assert [d["state"] for d in await deliveries(api, job["id"])] == ["delivered", "delivered"]


async def test_redelivery_is_refused_when_there_is_nothing_to_tell(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    pending = await create_job(api, email_job(callback_url=receiver.url))
    silent = await create_job(api, email_job())

    not_final = await api.post(f"/jobs/{pending['id']}/deliveries")
    no_url = await api.post(f"/jobs/{silent['id']}/deliveries")
    unknown = await api.post("/jobs/00000000-0000-4000-8000-000000000000/deliveries")

    assert (not_final.status_code, no_url.status_code, unknown.status_code) == (409, 409, 404)
    assert "it is pending" in not_final.json()["detail"]
    assert "no callback_url" in no_url.json()["detail"]
    assert (
        await api.get("/jobs/00000000-0000-4000-8000-000000000000/deliveries")
    ).status_code == 404


async def test_callback_url_must_be_http_and_at_most_2000_characters(
    api: httpx.AsyncClient,
) -> None:
    for bad in ("ftp://example.com/x", "example.com/hook", "http://", "http://a b.com/"):
        response = await api.post("/jobs", json=email_job(callback_url=bad))
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["body", "callback_url"]
    long = "https://example.com/" + "a" * 1981
    batch = await api.post(
        "/jobs/batch", json={"jobs": [email_job(), email_job(callback_url=long)]}
    )
    assert batch.status_code == 422
    assert batch.json()["detail"][0]["loc"] == ["body", "jobs", 1, "callback_url"]
    assert (await api.get("/jobs")).json()["total"] == 0
    ok = await api.post("/jobs", json=email_job(callback_url=long[:2000]))
    assert ok.status_code == 201 and ok.json()["callback_url"] == long[:2000]


async def test_two_deliverers_never_send_one_delivery_twice(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    outbox_pool: asyncpg.Pool,
    database_url: str,
) -> None:
    for _ in range(6):
        await finished_job(api, worker, receiver.url)
    receiver.answer(*[Answer(delay_seconds=0.2)] * 6)  # slow: both passes overlap
    other_pool = await create_pool(database_url, 2, durable=True)
    first = make_deliverer(outbox_pool, concurrency=4)
    second = make_deliverer(other_pool, concurrency=4)

    tried = await asyncio.gather(first.run_once(), second.run_once())
    await asyncio.gather(first.run_once(), second.run_once())
    await asyncio.gather(first.close(), second.close(), other_pool.close())

    assert sum(tried) == 6
    assert sorted(receiver.ids()) == sorted(set(receiver.ids())) and len(receiver.ids()) == 6


async def test_the_list_finds_jobs_whose_callback_finally_failed(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    deliverer: CallbackDeliverer,
) -> None:
    receiver.answer(Answer(410))
    gone = await finished_job(api, worker, receiver.url)
    await deliverer.run_once()
    await finished_job(api, worker, receiver.url)
    await deliverer.run_once()

    failed = (await api.get("/jobs", params={"callback": "failed"})).json()
    assert ([job["id"] for job in failed["items"]], failed["total"]) == ([gone["id"]], 1)

    await api.post(f"/jobs/{gone['id']}/deliveries")  # sent again: no longer finally failed
    assert (await api.get("/jobs", params={"callback": "failed"})).json()["total"] == 0
    assert (await api.get("/jobs", params={"callback": "maybe"})).status_code == 422


async def test_deleting_a_job_while_its_callback_is_in_flight_neither_waits_nor_breaks_it(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    outbox_pool: asyncpg.Pool,
    db: asyncpg.Connection,
) -> None:
    patient = make_deliverer(outbox_pool, timeout_seconds=10)
    receiver.answer(Answer(delay_seconds=3))
    job = await finished_job(api, worker, receiver.url)
    delivering = asyncio.create_task(patient.run_once())

    async def received() -> int:
        return len(receiver.requests)

    await eventually(received)  # the try is in flight

    deleted = await api.post("/jobs/bulk", json={"action": "delete", "ids": [job["id"]]})
    assert not delivering.done()  # the deliverer holds no lock a delete would wait for

    assert await delivering == 1  # its try ended without an error...
    await patient.close()
    assert deleted.status_code == 200 and deleted.json()["succeeded"] == [job["id"]]
    # ...and recorded nothing for the delivery that is gone.
    assert await db.fetchval("SELECT count(*) FROM callback_deliveries") == 0
    assert await db.fetchval("SELECT count(*) FROM callback_attempts") == 0


async def test_a_queued_delivery_wakes_the_deliverer_long_before_its_next_poll(
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    receiver: Receiver,
    outbox_pool: asyncpg.Pool,
    database_url: str,
) -> None:
    listener = DueListener(database_url)
    # Polling once an hour: only the NOTIFY of the outbox insert can start the pass.
    deliverer = make_deliverer(outbox_pool, listener=listener, interval_seconds=3600)
    running = asyncio.create_task(deliverer.run_forever())
    try:
        await eventually(lambda: _value(listener.waiting), lambda n: n == 1)  # parked
        job = await finished_job(api, worker, receiver.url)

        async def received() -> int:
            return len(receiver.requests)

        await eventually(received, seconds=10)
        [delivery] = await eventually(
            lambda: deliveries(api, job["id"]), lambda d: d[0]["state"] == "delivered"
        )
        assert delivery["attempts"][0]["status_code"] == 200
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await deliverer.close()


async def _value(value: int) -> int:
    return value
