"""A report sent again after its answer was lost: a success that changes nothing, never a 409."""

import asyncpg
import httpx

from tests.integration.worker.test_outcomes import claimed_job, snapshot

RUNNER = "runner-a"  # the runner claimed_job claims for


async def test_a_completion_sent_again_answers_the_stored_job_and_changes_nothing(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await claimed_job(worker, db)
    report = {"result": {"sent": True}, "attempt": 1, "worker_id": RUNNER}
    first = await worker.post(f"/complete/{job['id']}", json=report)
    recorded = await snapshot(db, job["id"])

    again = await worker.post(f"/complete/{job['id']}", json={**report, "result": {"n": 2}})

    assert again.status_code == 200
    assert again.json() == first.json()  # the first result stays
    assert await snapshot(db, job["id"]) == recorded  # no second `completed` event


async def test_a_batch_sent_again_lists_its_jobs_as_completed(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    jobs = [await claimed_job(worker, db) for _ in range(2)]
    batch = {
        "jobs": [{"id": job["id"], "attempt": 1, "result": {}} for job in jobs],
        "worker_id": RUNNER,
    }
    await worker.post("/complete", json=batch)

    again = await worker.post("/complete", json=batch)

    assert again.json() == {
        "completed": [job["id"] for job in jobs],
        "conflicts": [],
        "rejected": [],
    }
    assert await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'completed'") == 2


async def test_a_failure_sent_again_answers_the_job_and_schedules_one_retry(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await claimed_job(worker, db, max_attempts=3)
    report = {"error": "SMTP 451", "attempt": 1, "worker_id": RUNNER}
    first = await worker.post(f"/fail/{job['id']}", json=report)
    recorded = await snapshot(db, job["id"])

    again = await worker.post(f"/fail/{job['id']}", json=report)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["status"] == "pending"
    assert await snapshot(db, job["id"]) == recorded


async def test_the_same_report_from_another_runner_or_attempt_is_still_a_conflict(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await claimed_job(worker, db)
    await worker.post(f"/complete/{job['id']}", json={"attempt": 1, "worker_id": RUNNER})

    other_runner = await worker.post(
        f"/complete/{job['id']}", json={"attempt": 1, "worker_id": "runner-b"}
    )
    other_attempt = await worker.post(
        f"/complete/{job['id']}", json={"attempt": 2, "worker_id": RUNNER}
    )
    unfenced = await worker.post(f"/complete/{job['id']}", json={})
    failure_after_completion = await worker.post(
        f"/fail/{job['id']}", json={"error": "late", "attempt": 1, "worker_id": RUNNER}
    )

    assert [
        response.status_code
        for response in (other_runner, other_attempt, unfenced, failure_after_completion)
    ] == [409, 409, 409, 409]
