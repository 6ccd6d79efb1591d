"""A job type's controls, honoured inside the claim (issue #11): pause, concurrency per type
and per concurrency_key, rate limits, timeouts; exact with 8 claimers racing, checked from the
events ledger; slots freed when jobs leave `processing`; no type starved by a full one."""

import asyncio
import random
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import change_controls, insert_jobs
from tests.integration.worker.conftest import claims_waiting_become
from tests.integration.worker.ledger import most_claims_in_any_window, most_processing_at_once
from worker_service.records import Completion
from worker_service.rescuer import Rescuer
from worker_service.store import WorkerStore, create_pool

CLAIMERS = 8


async def claim(worker: httpx.AsyncClient, query: str) -> list[dict[str, object]]:
    response = await worker.post(f"/process?{query}")
    assert response.status_code == 200, response.text
    jobs: list[dict[str, object]] = response.json()["jobs"]
    return jobs


async def statuses(db: asyncpg.Connection) -> dict[str, str]:
    return {str(row["id"]): row["status"] for row in await db.fetch("SELECT id, status FROM jobs")}


# --- pause ------------------------------------------------------------------------------------


async def test_a_paused_type_is_not_claimed_while_others_are(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    emails = await insert_jobs(db, 3, type="email", priority=5)
    notifications = await insert_jobs(db, 2, type="notification", priority=1)
    await change_controls(api, "email", paused=True)

    claimed = await claim(worker, "limit=10")

    assert sorted(job["id"] for job in claimed) == sorted(notifications)
    assert {(await statuses(db))[job_id] for job_id in emails} == {"pending"}


async def test_with_a_type_paused_the_others_are_still_claimed_most_urgent_first(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "report", paused=True)
    await insert_jobs(db, 50, type="report", priority=5)
    low = await insert_jobs(db, type="email", priority=1)
    high = await insert_jobs(db, type="notification", priority=4)
    middle = await insert_jobs(db, type="email", priority=3)

    claimed = await claim(worker, "limit=3&types=email,notification,report")

    assert [job["id"] for job in claimed] == high + middle + low


async def test_lifting_a_pause_wakes_a_waiting_claim(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "email", paused=True)
    [job_id] = await insert_jobs(db, type="email")
    waiting = asyncio.create_task(worker.post("/process?wait=10&types=email"))
    await claims_waiting_become(worker, 1)

    lifted_at = time.monotonic()
    await change_controls(api, "email", paused=False)
    response = await waiting

    assert response.status_code == 200
    assert response.json()["id"] == job_id
    assert time.monotonic() - lifted_at < 1


# --- limits, one claimer at a time ------------------------------------------------------------


async def test_concurrency_caps_the_jobs_processing_and_a_raise_holds_at_the_next_claim(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "email", concurrency=2)
    await insert_jobs(db, 5, type="email")

    first = await claim(worker, "limit=5&types=email&wait=5")
    assert len(first) == 2
    assert await claim(worker, "limit=5&types=email") == []

    await change_controls(api, "email", concurrency=3)

    assert len(await claim(worker, "limit=5&types=email")) == 1


async def test_a_lowered_limit_holds_at_the_next_claim(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "email", concurrency=3)
    await insert_jobs(db, 5, type="email")
    assert len(await claim(worker, "limit=2&types=email&wait=5")) == 2

    await change_controls(api, "email", concurrency=1)

    assert await claim(worker, "limit=5&types=email") == []


async def test_key_concurrency_caps_each_key_and_leaves_jobs_without_a_key_alone(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "email", key_concurrency=1)
    await insert_jobs(db, 3, type="email", concurrency_key="customer-1")
    await insert_jobs(db, 3, type="email", concurrency_key="customer-2")
    await insert_jobs(db, 2, type="email")

    claimed = await claim(worker, "limit=10&types=email&wait=5")

    keys = sorted(str(job["concurrency_key"]) for job in claimed)
    assert keys == ["None", "None", "customer-1", "customer-2"]


async def test_a_full_type_does_not_starve_an_unlimited_one(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "email", concurrency=1)
    await insert_jobs(db, 3, type="email", priority=5)
    assert len(await claim(worker, "limit=1&types=email&wait=5")) == 1
    notifications = await insert_jobs(db, 2, type="notification", priority=1)

    claimed = await claim(worker, "limit=5&types=email,notification")

    assert sorted(job["id"] for job in claimed) == sorted(notifications)


async def test_a_full_limited_type_does_not_starve_another_limited_one(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "email", concurrency=1)
    await change_controls(api, "notification", concurrency=2)
    await insert_jobs(db, 3, type="email")
    await insert_jobs(db, 3, type="notification")

    claimed = await claim(worker, "limit=10&wait=5")

    assert sorted(str(job["type"]) for job in claimed) == ["email", "notification", "notification"]


async def test_the_claim_carries_the_types_timeout(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "email", timeout_seconds=30.0)
    await change_controls(api, "notification", timeout_seconds=5.5, concurrency=10)
    await insert_jobs(db, type="email")
    await insert_jobs(db, type="notification")
    await insert_jobs(db, type="report")

    claimed = await claim(worker, "limit=3&wait=5")

    timeouts = {job["type"]: job["timeout_seconds"] for job in claimed}
    assert timeouts == {"email": 30.0, "notification": 5.5, "report": None}


# --- slots free when jobs leave processing, and waiting claims wake ---------------------------


async def _finish_complete(worker: httpx.AsyncClient, job: dict[str, object], _: Rescuer) -> None:
    response = await worker.post(f"/complete/{job['id']}", json={"attempt": job["attempts"]})
    assert response.status_code == 200, response.text


async def _finish_fail(worker: httpx.AsyncClient, job: dict[str, object], _: Rescuer) -> None:
    body = {"error": "smtp down", "retryable": False, "attempt": job["attempts"]}
    response = await worker.post(f"/fail/{job['id']}", json=body)
    assert response.status_code == 200, response.text


async def _finish_retry(worker: httpx.AsyncClient, job: dict[str, object], _: Rescuer) -> None:
    body = {"error": "smtp busy", "retryable": True, "attempt": job["attempts"]}
    response = await worker.post(f"/fail/{job['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"


async def _finish_rescue(
    worker: httpx.AsyncClient, job: dict[str, object], rescuer: Rescuer
) -> None:
    await rescuer.run_once()  # its lease was made to expire before the claim began waiting


@pytest.mark.parametrize(
    "finish",
    [_finish_complete, _finish_fail, _finish_retry, _finish_rescue],
    ids=["complete", "fail", "retry", "rescue"],
)
async def test_a_slot_freed_wakes_a_waiting_claim(
    worker: httpx.AsyncClient,
    db: asyncpg.Connection,
    api: httpx.AsyncClient,
    rescuer: Rescuer,
    finish: object,
) -> None:
    await change_controls(api, "email", concurrency=1)
    await insert_jobs(db, 2, type="email", max_attempts=5)
    [held] = await claim(worker, "limit=1&types=email&wait=5")
    if finish is _finish_rescue:
        await db.execute("UPDATE jobs SET locked_until = now() - interval '1 second'")
    waiting = asyncio.create_task(worker.post("/process?wait=10&types=email&limit=1"))
    await claims_waiting_become(worker, 1)

    freed_at = time.monotonic()
    await finish(worker, held, rescuer)  # type: ignore[operator]
    response = await waiting

    assert len(response.json()["jobs"]) == 1
    assert time.monotonic() - freed_at < 1
    assert await most_processing_at_once(db, "email", per_key=False) == 1


async def test_a_cancelled_pending_job_takes_no_slot(
    worker: httpx.AsyncClient,
    api: httpx.AsyncClient,
    db: asyncpg.Connection,
) -> None:
    await change_controls(api, "email", concurrency=1)
    first, second = await insert_jobs(db, 2, type="email", priority=5)
    response = await api.delete(f"/jobs/{first}")
    assert response.status_code == 200, response.text

    [claimed] = await claim(worker, "limit=2&types=email&wait=5")

    assert claimed["id"] == second


async def test_a_rate_limited_claim_waits_for_the_next_free_slot(
    worker: httpx.AsyncClient, db: asyncpg.Connection, api: httpx.AsyncClient
) -> None:
    await change_controls(api, "email", rate_limit={"jobs": 2, "per_seconds": 1.0})
    await insert_jobs(db, 3, type="email")
    assert len(await claim(worker, "limit=3&types=email&wait=5")) == 2

    started = time.monotonic()
    later = await claim(worker, "limit=3&types=email&wait=5")

    assert len(later) == 1
    assert 0.5 < time.monotonic() - started < 2
    assert await most_claims_in_any_window(db, "email", 1.0) == 2


# --- exact under 8 racing claimers ------------------------------------------------------------


@pytest.fixture
async def runner_headers(tokens: dict[Role, str]) -> dict[str, str]:
    return bearer(tokens[Role.RUNNER])


async def _race(
    worker_url: str, headers: dict[str, str], db: asyncpg.Connection, jobs: int, seed: int
) -> None:
    """8 runners claim (1–3 at a time, long-polling), hold their jobs a few milliseconds and
    complete or fail them, until all `jobs` are finished."""
    finished = 0
    rng = random.Random(seed)

    async def runner(index: int) -> None:
        nonlocal finished
        async with httpx.AsyncClient(base_url=worker_url, headers=headers, timeout=60) as client:
            while finished < jobs:
                query = f"worker_id=racer-{index}&limit={rng.randint(1, 3)}&wait=0.5"
                claimed = await claim(client, query)
                # The work itself: a few milliseconds, so that claims overlap.
                await asyncio.sleep(rng.uniform(0, 0.01))
                for job in claimed:
                    if rng.random() < 0.2:
                        body = {"error": "no", "retryable": False, "attempt": job["attempts"]}
                        response = await client.post(f"/fail/{job['id']}", json=body)
                    else:
                        response = await client.post(
                            f"/complete/{job['id']}", json={"attempt": job["attempts"]}
                        )
                    assert response.status_code == 200, response.text
                    finished += 1

    await asyncio.wait_for(asyncio.gather(*(runner(i) for i in range(CLAIMERS))), 120)
    assert set((await statuses(db)).values()) <= {"completed", "failed"}


@pytest.mark.parametrize("round_", range(3))
async def test_concurrency_is_exact_with_8_claimers_racing(
    worker_url: str,
    runner_headers: dict[str, str],
    db: asyncpg.Connection,
    api: httpx.AsyncClient,
    round_: int,
) -> None:
    await change_controls(api, "email", concurrency=3)
    await insert_jobs(db, 60, type="email")
    await insert_jobs(db, 20, type="notification")

    await _race(worker_url, runner_headers, db, 80, seed=round_)

    assert await most_processing_at_once(db, "email", per_key=False) == 3


@pytest.mark.parametrize("round_", range(3))
async def test_key_concurrency_is_exact_with_8_claimers_racing(
    worker_url: str,
    runner_headers: dict[str, str],
    db: asyncpg.Connection,
    api: httpx.AsyncClient,
    round_: int,
) -> None:
    await change_controls(api, "email", key_concurrency=1)
    for key in range(4):
        await insert_jobs(db, 15, type="email", concurrency_key=f"customer-{key}")
    await insert_jobs(db, 20, type="email")

    await _race(worker_url, runner_headers, db, 80, seed=round_)

    assert await most_processing_at_once(db, "email", per_key=True) == 1
    # Jobs without a key are not held back: more than one of the type ran at once.
    assert await most_processing_at_once(db, "email", per_key=False) > 1


async def test_a_rate_limit_of_20_per_2_seconds_is_exact_with_8_claimers_racing(
    worker_url: str,
    runner_headers: dict[str, str],
    db: asyncpg.Connection,
    api: httpx.AsyncClient,
) -> None:
    await change_controls(api, "email", rate_limit={"jobs": 20, "per_seconds": 2.0})
    await insert_jobs(db, 50, type="email")

    await _race(worker_url, runner_headers, db, 50, seed=7)

    assert await most_claims_in_any_window(db, "email", 2.0) == 20


# --- property: random limits and job mixes, straight on the store -----------------------------


@pytest.fixture
async def racing_store(database_url: str) -> AsyncIterator[WorkerStore]:
    """A store with a connection per claimer (and retries due at once), for claims that race
    in the database itself."""
    durable = await create_pool(database_url, CLAIMERS, durable=True)
    fast = await create_pool(database_url, CLAIMERS, durable=False)
    try:
        yield WorkerStore(durable, fast, 60, 0.001, 0.001)
    finally:
        await durable.close()
        await fast.close()


@pytest.mark.parametrize(
    ("controls", "per_key", "limit"),
    [({"concurrency": 3}, False, 3), ({"key_concurrency": 1}, True, 1)],
    ids=["concurrency", "key_concurrency"],
)
async def test_limits_hold_with_8_claimers_racing_in_the_database(
    racing_store: WorkerStore,
    db: asyncpg.Connection,
    api: httpx.AsyncClient,
    controls: dict[str, int],
    per_key: bool,
    limit: int,
) -> None:
    """No HTTP between the claimers and the database: their claims overlap the most."""
    await change_controls(api, "email", **controls)
    for key in ("a", "b"):
        await insert_jobs(db, 40, type="email", concurrency_key=key)
    finished = 0

    async def claimer(index: int) -> None:
        nonlocal finished
        while finished < 80:
            claimed = await racing_store.claim_limited(f"r-{index}", 2, "email")
            for each in claimed:
                job = each.job
                await racing_store.complete_one(Completion(job["id"], job["attempts"], None), None)
                finished += 1
            if not claimed:
                await asyncio.sleep(0.001)  # all slots taken: let a completion land

    await asyncio.wait_for(asyncio.gather(*(claimer(i) for i in range(CLAIMERS))), 120)

    assert await most_processing_at_once(db, "email", per_key=per_key) == limit


@pytest.mark.parametrize("seed", range(6))
async def test_random_limits_and_job_mixes_hold_in_the_ledger(
    racing_store: WorkerStore, db: asyncpg.Connection, api: httpx.AsyncClient, seed: int
) -> None:
    rng = random.Random(seed)
    concurrency = rng.choice([None, 1, 2, 4])
    key_concurrency = rng.choice([None, 1, 2])
    rate = rng.choice([None, (rng.randint(3, 12), 0.5)])
    if concurrency is None and key_concurrency is None and rate is None:
        concurrency = 2
    await change_controls(
        api,
        "email",
        concurrency=concurrency,
        key_concurrency=key_concurrency,
        rate_limit={"jobs": rate[0], "per_seconds": rate[1]} if rate else None,
    )
    jobs = 0
    for key in [None, "a", "b", "c"][: rng.randint(1, 4)]:
        count = rng.randint(3, 12)
        jobs += count
        if key is None:
            await insert_jobs(db, count, type="email", max_attempts=2)
        else:
            await insert_jobs(db, count, type="email", max_attempts=2, concurrency_key=key)
    finished = 0

    async def claimer(index: int) -> None:
        nonlocal finished
        while finished < jobs:
            claimed = await racing_store.claim_limited(f"p-{index}", rng.randint(1, 3), "email")
            if not claimed:
                await asyncio.sleep(0.01)  # polling, as a runner without a long-poll would
                continue
            for each in claimed:
                job = each.job
                if rng.random() < 0.25:  # a retry (due at once) or, on the last attempt, a fail
                    failed = await racing_store.fail(job["id"], job["attempts"], None, "x", True)
                    finished += failed.status == "failed"
                else:
                    await racing_store.complete_one(
                        Completion(job["id"], job["attempts"], None), None
                    )
                    finished += 1

    await asyncio.wait_for(asyncio.gather(*(claimer(i) for i in range(CLAIMERS))), 120)

    if concurrency is not None:
        assert await most_processing_at_once(db, "email", per_key=False) <= concurrency
    if key_concurrency is not None:
        assert await most_processing_at_once(db, "email", per_key=True) <= key_concurrency
    if rate is not None:
        assert await most_claims_in_any_window(db, "email", rate[1]) <= rate[0]
