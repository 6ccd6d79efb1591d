"""The deliverer inside real worker services: a kill -9 between the outcome and the delivery
loses nothing, and two services send each delivery once."""

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import httpx

from devstack import processes
from devstack.processes import REPO_ROOT
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.callbacks import SECRET, finished_job, verify_signature
from tests.eventually import eventually
from tests.factories import create_jobs, email_job
from tests.receiver import Answer, Receiver


@contextmanager
def worker_service(database_url: str, name: str) -> Iterator[tuple[str, int]]:
    """A worker service that delivers callbacks every 0.1 s; its URL and process id. A try
    times out after 2 s, so a delivery whose try was lost is leased for 12 s."""
    env = {
        "DATABASE_URL": database_url,
        "WEBHOOK_SECRET": SECRET,
        "CALLBACK_ALLOW_PRIVATE": "true",
        "CALLBACK_INTERVAL_SECONDS": "0.1",
        "CALLBACK_TIMEOUT_SECONDS": "2",
        "CALLBACK_RETRY_BASE_SECONDS": "0.05",
        "RESCUE_INTERVAL_SECONDS": "3600",
        "ALERT_INTERVAL_SECONDS": "3600",
    }
    log = REPO_ROOT / ".data" / "logs" / f"callbacks-{name}.log"
    with processes.uvicorn_server("worker_service.main:app", env, log) as (url, process):
        yield url, process.pid


async def tries_of(db: asyncpg.Connection) -> list[tuple[str, int | None]]:
    rows = await db.fetch(
        "SELECT d.state, a.status_code FROM callback_attempts AS a"
        " JOIN callback_deliveries AS d ON d.id = a.delivery_id ORDER BY a.id"
    )
    return [tuple(row) for row in rows]


async def test_a_kill_9_mid_delivery_loses_nothing_and_two_services_send_each_once(
    api: httpx.AsyncClient,
    db: asyncpg.Connection,
    receiver: Receiver,
    database_url: str,
    tokens: dict[Role, str],
) -> None:
    runner = bearer(tokens[Role.RUNNER])
    # The first try hangs at the receiver: the service dies with it in flight.
    receiver.answer(Answer(delay_seconds=3))
    with worker_service(database_url, "killed") as (url, pid):
        async with httpx.AsyncClient(base_url=url, headers=runner) as worker:
            job = await finished_job(api, worker, receiver.url)
        await eventually(lambda: _count(receiver), lambda n: n == 1, seconds=15)
        os.kill(pid, signal.SIGKILL)
    assert await tries_of(db) == []  # the try in flight was never recorded...
    assert await db.fetchval("SELECT state FROM callback_deliveries") == "pending"

    with contextlib.ExitStack() as stack:
        # Two services started side by side (each start costs seconds on a busy machine).
        one, two = await asyncio.gather(
            *(
                asyncio.to_thread(stack.enter_context, worker_service(database_url, name))
                for name in ("one", "two")
            )
        )
        # ...so it is tried again once its lease has run out...
        await eventually(
            lambda: tries_of(db), lambda tries: tries == [("delivered", 200)], seconds=40
        )
        # ...and it was repeated, once, with the same webhook-id; one success recorded.
        first, second = receiver.requests
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert verify_signature(SECRET, second.headers, second.body)
        events = (await api.get(f"/jobs/{job['id']}")).json()["events"]
        assert [e["kind"] for e in events].count("callback_delivered") == 1

        # Both services deliver from one outbox: each delivery is sent once.
        jobs = await create_jobs(api, [email_job(callback_url=receiver.url) for _ in range(40)])
        async with (
            httpx.AsyncClient(base_url=one[0], headers=runner) as via_one,
            httpx.AsyncClient(base_url=two[0], headers=runner) as via_two,
        ):
            for client in (via_one, via_two) * 2:
                claimed = (await client.post("/process", params={"limit": 10})).json()["jobs"]
                acks = [{"id": job["id"], "result": {}} for job in claimed]
                completed = (await client.post("/complete", json={"jobs": acks})).json()
                assert len(completed["completed"]) == 10
        await eventually(
            lambda: db.fetchval(
                "SELECT count(*) FROM callback_deliveries WHERE state = 'delivered'"
            ),
            lambda n: n == len(jobs) + 1,
        )

    ids = receiver.ids()[2:]
    assert len(ids) == len(set(ids)) == 40


async def _count(receiver: Receiver) -> int:
    return len(receiver.requests)
