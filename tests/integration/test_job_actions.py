"""GET /jobs/{id}, cancel, retry, bulk actions and artifacts."""

import uuid

import asyncpg
import httpx
import pytest

from tests.factories import create_job, email_job, report_job


async def set_status(db: asyncpg.Connection, job_id: str, status: str) -> None:
    lease = (
        "locked_by = 'runner-1', locked_until = now() + interval '1 minute',"
        if status == "processing"
        else ""
    )
    await db.execute(
        f"UPDATE jobs SET {lease} status = $2, attempts = 1 WHERE id = $1", job_id, status
    )


async def test_unknown_job_is_a_404_and_malformed_id_a_422(api: httpx.AsyncClient) -> None:
    missing = await api.get(f"/jobs/{uuid.uuid4()}")
    malformed = await api.get("/jobs/not-a-uuid")

    assert missing.status_code == 404
    assert "not found" in missing.json()["detail"]
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["path", "job_id"]


async def test_cancel_moves_a_pending_job_to_cancelled_with_an_event(
    api: httpx.AsyncClient,
) -> None:
    job = await create_job(api)

    response = await api.delete(f"/jobs/{job['id']}")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    events = (await api.get(f"/jobs/{job['id']}")).json()["events"]
    assert [event["kind"] for event in events] == ["created", "cancelled"]


@pytest.mark.parametrize("status", ["processing", "completed", "failed", "cancelled"])
async def test_cancel_is_refused_unless_pending(
    api: httpx.AsyncClient, db: asyncpg.Connection, status: str
) -> None:
    job = await create_job(api)
    await set_status(db, job["id"], status)

    response = await api.delete(f"/jobs/{job['id']}")

    assert response.status_code == 409
    assert status in response.json()["detail"]
    assert response.json()["detail"] == (
        f"job {job['id']} is {status}; only pending jobs can be cancelled"
    )
    assert await db.fetchval("SELECT status FROM jobs WHERE id = $1", job["id"]) == status


async def test_cancel_of_unknown_job_is_a_404(api: httpx.AsyncClient) -> None:
    assert (await api.delete(f"/jobs/{uuid.uuid4()}")).status_code == 404


@pytest.mark.parametrize("status", ["failed", "cancelled"])
async def test_retry_starts_a_finished_job_afresh(
    api: httpx.AsyncClient, db: asyncpg.Connection, status: str
) -> None:
    job = await create_job(api, email_job(scheduled_for="2030-01-01T00:00:00Z"))
    await set_status(db, job["id"], status)
    await db.execute("UPDATE jobs SET error = 'smtp timeout' WHERE id = $1", job["id"])

    response = await api.post(f"/jobs/{job['id']}/retry")

    assert response.status_code == 200
    retried = response.json()
    assert (retried["status"], retried["attempts"], retried["error"]) == ("pending", 0, None)
    assert retried["scheduled_for"] is None
    events = (await api.get(f"/jobs/{job['id']}")).json()["events"]
    assert events[-1]["kind"] == "retried"


@pytest.mark.parametrize("status", ["pending", "processing", "completed"])
async def test_retry_is_refused_unless_failed_or_cancelled(
    api: httpx.AsyncClient, db: asyncpg.Connection, status: str
) -> None:
    job = await create_job(api)
    await set_status(db, job["id"], status)

    response = await api.post(f"/jobs/{job['id']}/retry")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"job {job['id']} is {status}; only failed or cancelled jobs can be retried"
    )
    assert await db.fetchval("SELECT status FROM jobs WHERE id = $1", job["id"]) == status


async def test_bulk_cancel_acts_on_pending_jobs_and_explains_the_rest(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    pending, done = await create_job(api), await create_job(api)
    await set_status(db, done["id"], "completed")
    unknown = str(uuid.uuid4())

    response = await api.post(
        "/jobs/bulk",
        json={"action": "cancel", "ids": [pending["id"], done["id"], unknown, pending["id"]]},
    )

    assert response.status_code == 200
    outcome = response.json()
    assert outcome["succeeded"] == [pending["id"]]
    reasons = {item["id"]: item["reason"] for item in outcome["skipped"]}
    assert reasons[unknown] == "not found"
    assert "completed" in reasons[done["id"]]
    assert reasons[done["id"]] == "only pending jobs can be cancelled; it is completed"


async def test_bulk_retry_and_delete(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    failed, pending = await create_job(api), await create_job(api)
    await set_status(db, failed["id"], "failed")

    retried = (
        await api.post("/jobs/bulk", json={"action": "retry", "ids": [failed["id"], pending["id"]]})
    ).json()
    await set_status(db, failed["id"], "completed")
    deleted = (
        await api.post(
            "/jobs/bulk", json={"action": "delete", "ids": [failed["id"], pending["id"]]}
        )
    ).json()

    assert retried["succeeded"] == [failed["id"]]
    assert deleted["succeeded"] == [failed["id"]]
    assert [item["id"] for item in deleted["skipped"]] == [pending["id"]]
    assert deleted["skipped"][0]["reason"] == (
        "only completed, failed or cancelled jobs can be deleted; it is pending"
    )
    assert (await api.get(f"/jobs/{failed['id']}")).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM job_events WHERE job_id = $1", failed["id"]) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "explode", "ids": [str(uuid.uuid4())]}, "action"),
        ({"action": "cancel", "ids": []}, "ids"),
        ({"action": "cancel", "ids": ["nope"]}, "ids"),
        ({"action": "cancel", "ids": [str(uuid.uuid4())] * 1001}, "ids"),
    ],
)
async def test_bad_bulk_request_is_a_422_naming_the_field(
    api: httpx.AsyncClient, body: dict, field: str
) -> None:
    response = await api.post("/jobs/bulk", json=body)

    assert response.status_code == 422
    assert all(field in error["loc"] for error in response.json()["detail"])


async def test_artifact_is_served_with_its_content_type(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job = await create_job(api, report_job())
    await db.execute(
        """INSERT INTO job_artifacts (job_id, content_type, filename, content)
           VALUES ($1, 'text/csv', 'r.csv', $2)""",
        job["id"],
        b"status,count\ncompleted,3\n",
    )

    response = await api.get(f"/jobs/{job['id']}/artifact")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="r.csv"' in response.headers["content-disposition"]
    assert response.content == b"status,count\ncompleted,3\n"


async def test_missing_artifact_is_a_404_that_says_why(api: httpx.AsyncClient) -> None:
    job = await create_job(api, report_job())

    no_file = await api.get(f"/jobs/{job['id']}/artifact")
    no_job = await api.get(f"/jobs/{uuid.uuid4()}/artifact")

    assert (no_file.status_code, no_job.status_code) == (404, 404)
    assert "no artifact" in no_file.json()["detail"]
    assert "not found" in no_job.json()["detail"]
