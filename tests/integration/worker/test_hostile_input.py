"""What a runner may send the worker service that PostgreSQL cannot hold: each is a 422 naming
the field, and the job stays as it was."""

import json
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from job_contract.bounds import BIGINT_MAX, DEFAULT_MAX_RESULT_BYTES, INTEGER_MAX
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import insert_jobs
from tests.servers import uvicorn_server

JSON = {"content-type": "application/json"}


async def claimed_job(worker: httpx.AsyncClient, db: asyncpg.Connection, **columns: Any) -> str:
    await insert_jobs(db, **columns)
    job_id: str = (await worker.post("/process?worker_id=runner-1")).json()["id"]
    return job_id


async def still_processing(db: asyncpg.Connection, job_id: str) -> bool:
    row = await db.fetchrow("SELECT status, result, error FROM jobs WHERE id = $1", job_id)
    return row is not None and tuple(row) == ("processing", None, None)


def the_only_error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    return dict(error)


# --- attempts and counts past the columns ----------------------------------------------------


@pytest.mark.parametrize("attempt", [INTEGER_MAX + 1, 2**64])
async def test_an_attempt_past_an_integer_column_is_refused_by_complete_and_fail(
    worker: httpx.AsyncClient, db: asyncpg.Connection, attempt: int
) -> None:
    job_id = await claimed_job(worker, db)

    complete = await worker.post(f"/complete/{job_id}", json={"attempt": attempt, "result": {}})
    fail = await worker.post(f"/fail/{job_id}", json={"attempt": attempt, "error": "boom"})
    batch = await worker.post("/complete", json={"jobs": [{"id": job_id, "attempt": attempt}]})

    assert the_only_error(complete)["loc"] == ["body", "attempt"]
    assert the_only_error(fail)["loc"] == ["body", "attempt"]
    assert the_only_error(batch)["loc"] == ["body", "jobs", 0, "attempt"]
    assert await still_processing(db, job_id)


async def test_an_artifacts_attempt_past_an_integer_column_is_refused(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await claimed_job(worker, db, type="report")

    response = await worker.put(
        f"/artifacts/{job_id}?attempt={INTEGER_MAX + 1}",
        content=b"a,b\n",
        headers={"content-type": "text/csv"},
    )

    assert the_only_error(response)["loc"] == ["query", "attempt"]
    assert await db.fetchval("SELECT count(*) FROM job_artifacts") == 0


async def test_a_processed_count_past_a_bigint_column_is_refused(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    response = await worker.post("/workers/runner-1/heartbeat", json={"processed": BIGINT_MAX + 1})

    assert the_only_error(response)["loc"] == ["body", "processed"]
    assert await db.fetchval("SELECT count(*) FROM workers") == 0


async def test_a_runner_name_with_a_slash_is_refused_before_it_claims(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """It could never heartbeat: /workers/a/b/heartbeat is no route."""
    await insert_jobs(db, type="notification")

    response = await worker.post("/process?worker_id=team/runner-1")

    assert the_only_error(response)["loc"] == ["query", "worker_id"]
    assert await db.fetchval("SELECT status FROM jobs") == "pending"


async def test_the_largest_counts_the_columns_hold_are_accepted(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    response = await worker.post("/workers/runner-1/heartbeat", json={"processed": BIGINT_MAX})

    assert response.status_code == 200, response.text
    assert await db.fetchval("SELECT processed FROM workers") == BIGINT_MAX


# --- results PostgreSQL cannot store ----------------------------------------------------------

UNSTORABLE_RESULTS = {
    "nul": b'{"note": "before\\u0000after"}',
    "nul-in-a-key": b'{"\\u0000": true}',
    "nan": b'{"ratio": NaN}',
    "infinity": b'{"ratio": Infinity}',
    "too-large-for-a-float": b'{"ratio": -1e400}',
}


@pytest.mark.parametrize("result", UNSTORABLE_RESULTS.values(), ids=UNSTORABLE_RESULTS.keys())
async def test_a_result_postgresql_cannot_store_is_refused_naming_it(
    worker: httpx.AsyncClient, db: asyncpg.Connection, result: bytes
) -> None:
    job_id = await claimed_job(worker, db)

    response = await worker.post(
        f"/complete/{job_id}", content=b'{"result": %s}' % result, headers=JSON
    )

    error = the_only_error(response)
    assert error["loc"] == ["body", "result"]
    assert error["type"] == "result_unstorable"
    assert await still_processing(db, job_id)


@pytest.mark.parametrize("result", UNSTORABLE_RESULTS.values(), ids=UNSTORABLE_RESULTS.keys())
async def test_in_a_batch_the_unstorable_result_is_rejected_and_the_rest_completes(
    worker: httpx.AsyncClient, db: asyncpg.Connection, result: bytes
) -> None:
    first, second = await claimed_job(worker, db), await claimed_job(worker, db)
    body = b'{"jobs": [{"id": "%s", "result": {}}, {"id": "%s", "result": %s}]}' % (
        first.encode(),
        second.encode(),
        result,
    )

    response = await worker.post("/complete", content=body, headers=JSON)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["completed"], answer["conflicts"]) == ([first], [])
    [rejected] = answer["rejected"]
    assert rejected["id"] == second
    assert rejected["error"].startswith("must ")  # why, in the contract's words
    assert not await still_processing(db, first)
    assert await still_processing(db, second)


async def test_a_result_over_max_result_bytes_is_refused_with_its_size(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await claimed_job(worker, db)
    result = {"text": "x" * DEFAULT_MAX_RESULT_BYTES}

    response = await worker.post(f"/complete/{job_id}", json={"result": result})

    error = the_only_error(response)
    assert error["loc"] == ["body", "result"]
    assert f"at most {DEFAULT_MAX_RESULT_BYTES} bytes" in error["msg"]
    assert await still_processing(db, job_id)


async def test_a_result_with_a_backslash_before_u0000_is_text_and_is_stored(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await claimed_job(worker, db)
    result = {"path": "C:\\u0000\\report.csv", "name": "報告"}

    response = await worker.post(f"/complete/{job_id}", json={"result": result})

    assert response.status_code == 200, response.text
    assert json.loads(await db.fetchval("SELECT result FROM jobs WHERE id = $1", job_id)) == result


@pytest.fixture(scope="module")
def small_results_worker_url(database_url: str) -> Iterator[str]:
    env = {"DATABASE_URL": database_url, "MAX_RESULT_BYTES": "2048"}
    with uvicorn_server("worker_service.main:app", env) as base_url:
        yield base_url


async def test_max_result_bytes_is_the_services_setting(
    small_results_worker_url: str, db: asyncpg.Connection, tokens: dict[Role, str]
) -> None:
    headers = bearer(tokens[Role.RUNNER])
    async with httpx.AsyncClient(base_url=small_results_worker_url, headers=headers) as worker:
        fits, too_big = await claimed_job(worker, db), await claimed_job(worker, db)

        stored = await worker.post(f"/complete/{fits}", json={"result": {"t": "x" * 2000}})
        refused = await worker.post(f"/complete/{too_big}", json={"result": {"t": "x" * 2050}})

    assert stored.status_code == 200, stored.text
    assert "at most 2048 bytes as JSON; it is 2058" in the_only_error(refused)["msg"]


# --- report data ------------------------------------------------------------------------------


@pytest.mark.parametrize("report", ["jobs_summary", "failures", "throughput"])
async def test_report_data_ending_on_the_last_day_python_holds_is_refused_naming_end(
    worker: httpx.AsyncClient, report: str
) -> None:
    # The rows are read up to the start of the next day, which would be in year 10000.
    response = await worker.get(f"/report-data/{report}?start=2026-01-01&end=9999-12-31")

    assert the_only_error(response)["loc"] == ["query", "end"]


async def test_report_data_over_every_day_it_can_is_answered(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_jobs(db, 2, created_at="2026-03-10T12:00:00Z")

    response = await worker.get("/report-data/jobs_summary?start=0001-01-01&end=9999-12-30")

    assert response.json() == {"rows": [{"type": "email", "status": "pending", "jobs": 2}]}


async def test_report_data_starting_after_it_ends_is_refused(worker: httpx.AsyncClient) -> None:
    response = await worker.get("/report-data/failures?start=2026-02-01&end=2026-01-01")

    assert "start must be on or before end" in the_only_error(response)["msg"]
