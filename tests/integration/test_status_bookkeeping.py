"""The rollups behind /stats and /analytics follow every change of status, whichever statement
made it: one update trigger on `jobs` writes them all (migration 0015), so the worker's own
claims, renewals, completions, failures and rescues are checked here end to end."""

import asyncpg
import httpx

from job_contract import JobStatus
from tests.factories import create_jobs, email_job
from worker_service.rescuer import Rescuer


async def stats_agree_with_the_rows(api: httpx.AsyncClient, db: asyncpg.Connection) -> dict:
    stats = (await api.get("/stats")).json()
    rows = dict(await db.fetch("SELECT status, count(*) FROM jobs GROUP BY status"))
    assert stats["by_status"] == {status: rows.get(status, 0) for status in JobStatus}
    return stats


async def claim(worker: httpx.AsyncClient, runner: str) -> dict:
    response = await worker.post(f"/process?worker_id={runner}&types=email")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_worker_lifecycle_is_counted_once_per_change(
    api: httpx.AsyncClient, worker: httpx.AsyncClient, db: asyncpg.Connection, rescuer: Rescuer
) -> None:
    await create_jobs(api, [email_job(max_attempts=2) for _ in range(4)])
    done, retried, gave_up, abandoned = [await claim(worker, "runner-a") for _ in range(4)]
    await stats_agree_with_the_rows(api, db)

    # A renewal changes no status: nothing to count.
    renewed = await worker.post(
        "/workers/runner-a/heartbeat",
        json={"jobs": [job["id"] for job in (done, retried, gave_up, abandoned)]},
    )
    assert renewed.json() == {"lost": []}
    completed = await worker.post(f"/complete/{done['id']}", json={"result": {}, "attempt": 1})
    assert completed.json()["status"] == "completed"
    again = await worker.post(
        f"/fail/{retried['id']}", json={"error": "SMTP 451 try later", "retryable": True}
    )
    assert again.json()["status"] == "pending"
    final = await worker.post(
        f"/fail/{gave_up['id']}", json={"error": "SMTP 550 no mailbox", "retryable": False}
    )
    assert final.json()["status"] == "failed"
    # A lease that ran out: back to pending, counted as a failed attempt.
    await db.execute(
        "UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1",
        abandoned["id"],
    )
    assert await rescuer.run_once() == 1

    stats = await stats_agree_with_the_rows(api, db)
    assert stats["by_status"]["pending"] == 2
    latest = stats["throughput"][-1]
    assert (latest["completed"], latest["failed"]) == (1, 1)
    (email,) = [
        entry
        for entry in (await api.get("/analytics?window=1h")).json()["types"]
        if entry["type"] == "email"
    ]
    # Four claims waited; two attempts ended for good, and three failed attempts are grouped.
    assert (email["completed"], email["failed"]) == (1, 1)
    assert email["wait_seconds"]["p50"] is not None
    groups = (await api.get("/analytics?window=1h")).json()["error_groups"]
    assert sorted(group["count"] for group in groups) == [1, 1, 1]
