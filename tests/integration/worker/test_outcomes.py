"""POST /complete and /fail: guarded by status and attempt, so a stale runner changes nothing."""

import uuid
from datetime import datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.factories import insert_jobs
from worker_service.rescuer import Rescuer


async def claimed_job(worker: httpx.AsyncClient, db: asyncpg.Connection, **columns: object) -> dict:
    await insert_jobs(db, **columns)
    response = await worker.post("/process?worker_id=runner-a")
    assert response.status_code == 200
    return response.json()


async def snapshot(db: asyncpg.Connection, job_id: str) -> dict:
    row = await db.fetchrow(
        "SELECT status, attempts, result, error, locked_by FROM jobs WHERE id = $1", job_id
    )
    events = await db.fetchval("SELECT count(*) FROM job_events WHERE job_id = $1", job_id)
    return {**dict(row), "events": events}


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_complete_records_the_result_and_releases_the_lease(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await claimed_job(worker, db)

    response = await worker.post(
        f"/complete/{job['id']}", json={"result": {"sent": True}, "attempt": 1}
    )

    done = response.json()
    assert response.status_code == 200
    assert (done["status"], done["result"], done["locked_by"], done["locked_until"]) == (
        "completed",
        {"sent": True},
        None,
        None,
    )
    assert done["completed_at"] is not None
    kinds = await db.fetch(
        "SELECT kind, worker_id FROM job_events WHERE job_id = $1 ORDER BY id", job["id"]
    )
    assert [tuple(k) for k in kinds][-1] == ("completed", "runner-a")


async def test_retryable_failure_goes_back_to_pending_after_the_back_off(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await claimed_job(worker, db)

    response = await worker.post(f"/fail/{job['id']}", json={"error": "SMTP timeout", "attempt": 1})

    failed = response.json()
    assert (failed["status"], failed["error"], failed["locked_by"]) == (
        "pending",
        "SMTP timeout",
        None,
    )
    delay = iso(failed["scheduled_for"]) - iso(failed["updated_at"])
    assert timedelta(seconds=1.6) <= delay <= timedelta(seconds=2.4)  # 2 s ± 20% jitter
    assert (await worker.post("/process")).status_code == 204  # not before the back-off
    event = await db.fetchrow(
        "SELECT kind, worker_id, detail FROM job_events WHERE job_id = $1 ORDER BY id DESC LIMIT 1",
        job["id"],
    )
    assert (event["kind"], event["worker_id"]) == ("retry_scheduled", "runner-a")
    assert event["detail"].startswith("SMTP timeout (retry at ")


async def test_back_off_doubles_with_each_attempt(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await claimed_job(worker, db, max_attempts=5, attempts=2)  # this claim is attempt 3

    failed = (await worker.post(f"/fail/{job['id']}", json={"error": "busy"})).json()

    delay = iso(failed["scheduled_for"]) - iso(failed["updated_at"])
    assert timedelta(seconds=6.4) <= delay <= timedelta(seconds=9.6)  # 2 × 2² ± 20%


async def test_not_retryable_failure_fails_at_once(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await claimed_job(worker, db)

    failed = (
        await worker.post(f"/fail/{job['id']}", json={"error": "bad payload", "retryable": False})
    ).json()

    assert (failed["status"], failed["attempts"], failed["error"]) == ("failed", 1, "bad payload")


async def test_attempts_run_out_at_max_attempts(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    [job_id] = await insert_jobs(db, max_attempts=3)
    statuses = []
    for attempt in (1, 2, 3):
        await db.execute(
            "UPDATE jobs SET scheduled_for = NULL WHERE id = $1", job_id
        )  # back-off over
        job = (await worker.post("/process")).json()
        assert job["attempts"] == attempt
        failed = (
            await worker.post(
                f"/fail/{job_id}", json={"error": f"try {attempt}", "attempt": attempt}
            )
        ).json()
        statuses.append(failed["status"])

    await db.execute("UPDATE jobs SET scheduled_for = NULL WHERE id = $1", job_id)

    assert statuses == ["pending", "pending", "failed"]
    assert (await worker.post("/process")).status_code == 204
    assert await db.fetchval("SELECT attempts FROM jobs WHERE id = $1", job_id) == 3


@pytest.mark.parametrize("action", ["complete", "fail"])
async def test_a_runner_whose_lease_was_rescued_cannot_overwrite_the_next_attempt(
    worker: httpx.AsyncClient, db: asyncpg.Connection, rescuer: Rescuer, action: str
) -> None:
    job = await claimed_job(worker, db)
    await db.execute(
        "UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1", job["id"]
    )
    await rescuer.run_once()
    second = (await worker.post("/process?worker_id=runner-b")).json()
    before = await snapshot(db, job["id"])

    body = {"attempt": 1, "result": {}} if action == "complete" else {"attempt": 1, "error": "late"}
    response = await worker.post(f"/{action}/{job['id']}", json=body)

    assert second["attempts"] == 2
    assert response.status_code == 409
    assert "attempt 1 lost its lease" in response.json()["detail"]
    assert await snapshot(db, job["id"]) == before


@pytest.mark.parametrize("status", ["pending", "completed", "failed", "cancelled"])
@pytest.mark.parametrize("action", ["complete", "fail"])
async def test_outcomes_are_refused_unless_processing(
    worker: httpx.AsyncClient, db: asyncpg.Connection, status: str, action: str
) -> None:
    [job_id] = await insert_jobs(db, status=status, attempts=1)
    before = await snapshot(db, job_id)

    body = {"result": {}} if action == "complete" else {"error": "x"}
    response = await worker.post(f"/{action}/{job_id}", json=body)

    assert response.status_code == 409
    assert f"is {status}, not processing" in response.json()["detail"]
    assert await snapshot(db, job_id) == before


async def test_another_runners_job_cannot_be_completed_under_its_name(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await claimed_job(worker, db)

    response = await worker.post(f"/complete/{job['id']}", json={"worker_id": "runner-z"})

    assert response.status_code == 409
    assert "held by runner-a" in response.json()["detail"]


@pytest.mark.parametrize("action", ["complete", "fail"])
async def test_unknown_job_is_a_404_and_malformed_id_a_422(
    worker: httpx.AsyncClient, action: str
) -> None:
    body = {"error": "x"} if action == "fail" else {}

    missing = await worker.post(f"/{action}/{uuid.uuid4()}", json=body)
    malformed = await worker.post(f"/{action}/nope", json=body)

    assert missing.status_code == 404
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["path", "job_id"]


async def test_batch_complete_acknowledges_held_jobs_and_lists_conflicts(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 3)
    jobs = (await worker.post("/process?limit=3")).json()["jobs"]
    stale = {"id": jobs[2]["id"], "attempt": 7, "result": {}}
    unknown = {"id": str(uuid.uuid4()), "result": {}}

    response = await worker.post(
        "/complete",
        json={
            "jobs": [
                {"id": jobs[0]["id"], "attempt": 1, "result": {"n": 0}},
                {"id": jobs[1]["id"]},
                stale,
                unknown,
            ]
        },
    )

    assert response.json() == {
        "completed": [jobs[0]["id"], jobs[1]["id"]],
        "conflicts": [stale["id"], unknown["id"]],
        "rejected": [],
    }
    assert await db.fetchval("SELECT status FROM jobs WHERE id = $1", jobs[2]["id"]) == "processing"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/complete", {"jobs": []}, "jobs"),
        ("/complete", {"jobs": [{"id": "x"}]}, "id"),
        ("/complete", {"jobs": [{"id": str(uuid.uuid4())}] * 101}, "jobs"),
        ("/fail/{id}", {"error": ""}, "error"),
        ("/fail/{id}", {"error": "nul \u0000"}, "error"),
        ("/fail/{id}", {"error": "x", "attempt": 0}, "attempt"),
        ("/complete/{id}", {"result": "done"}, "result"),
        ("/complete/{id}", {"surprise": 1}, "surprise"),
    ],
)
async def test_bad_bodies_are_a_422_naming_the_field(
    worker: httpx.AsyncClient, path: str, body: dict, field: str
) -> None:
    response = await worker.post(path.format(id=uuid.uuid4()), json=body)

    assert response.status_code == 422
    assert any(field in error["loc"] for error in response.json()["detail"])


async def test_malformed_json_is_a_422(worker: httpx.AsyncClient) -> None:
    response = await worker.post(
        f"/fail/{uuid.uuid4()}", content=b"{oops", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
