"""seed.py, run as a real process against the live producer API."""

import asyncio
import json
import os
import sys
from dataclasses import dataclass

import asyncpg
import pytest

from job_contract import JobType, validate_payload
from jobdeck_access.roles import Role
from tests.servers import REPO_ROOT, free_port


@pytest.fixture(autouse=True)
def _producer_token(monkeypatch: pytest.MonkeyPatch, tokens: dict[Role, str]) -> None:
    """seed.py creates jobs, so it runs with a producer's token (JOBDECK_TOKEN)."""
    monkeypatch.setenv("JOBDECK_TOKEN", tokens[Role.PRODUCER])


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


async def run_seed(*args: str, env: dict[str, str] | None = None) -> Finished:
    # Without a PRODUCER_API_URL of its own, seed.py must not pick up the developer's.
    base_env = {k: v for k, v in os.environ.items() if k != "PRODUCER_API_URL"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPO_ROOT / "seed.py"),
        *args,
        cwd=REPO_ROOT,
        env={**base_env, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return Finished(process.returncode, stdout.decode(), stderr.decode())


async def test_seed_creates_the_requested_number_of_valid_jobs_of_every_type(
    producer_url: str, db: asyncpg.Connection
) -> None:
    finished = await run_seed("--count", "50", "--url", producer_url)

    assert finished.returncode == 0, finished.stderr
    rows = await db.fetch("SELECT type, payload, priority, max_attempts, scheduled_for FROM jobs")
    assert len(rows) == 50
    assert {row["type"] for row in rows} == set(JobType)
    for row in rows:
        validate_payload(JobType(row["type"]), json.loads(row["payload"]))


async def test_seed_varies_priority_schedule_and_attempts(
    producer_url: str, db: asyncpg.Connection
) -> None:
    finished = await run_seed("--count", "50", "--url", producer_url)

    assert finished.returncode == 0, finished.stderr
    rows = await db.fetch(
        "SELECT priority, max_attempts, scheduled_for > now() AS in_future FROM jobs"
    )
    assert len({row["priority"] for row in rows}) > 1
    assert {row["priority"] for row in rows} <= {1, 2, 3, 4, 5}
    assert len({row["max_attempts"] for row in rows}) > 1
    assert any(row["in_future"] for row in rows)
    assert any(row["in_future"] is None for row in rows)


async def test_seed_reports_progress_and_a_summary_by_type(
    producer_url: str, db: asyncpg.Connection
) -> None:
    finished = await run_seed("--count", "6", "--url", producer_url)

    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert "created 6/6 jobs" in lines
    assert f"done: 6 jobs at {producer_url}" in lines
    # Types take turns, so six jobs are two of each.
    for job_type in JobType:
        assert f"  {job_type.value:<13} 2" in lines


async def test_seed_sends_large_counts_in_batches_of_at_most_a_thousand(
    producer_url: str, db: asyncpg.Connection
) -> None:
    finished = await run_seed("--count", "1500", "--url", producer_url)

    assert finished.returncode == 0, finished.stderr
    assert "created 1000/1500 jobs" in finished.stdout
    assert "created 1500/1500 jobs" in finished.stdout
    assert await db.fetchval("SELECT count(*) FROM jobs") == 1500


async def test_seed_reads_the_api_url_from_the_environment_when_not_given(
    producer_url: str, db: asyncpg.Connection
) -> None:
    finished = await run_seed("--count", "3", env={"PRODUCER_API_URL": producer_url})

    assert finished.returncode == 0, finished.stderr
    assert await db.fetchval("SELECT count(*) FROM jobs") == 3


async def test_seed_fails_clearly_when_the_api_is_unreachable(db: asyncpg.Connection) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on

    finished = await run_seed("--count", "5", "--url", nowhere)

    assert finished.returncode != 0
    assert finished.stderr.count("\n") == 1
    assert nowhere in finished.stderr
    assert "cannot reach the producer API" in finished.stderr
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


async def test_seed_fails_with_the_api_detail_when_the_api_answers_an_error(
    producer_url: str, db: asyncpg.Connection
) -> None:
    # A base URL with an extra path segment makes the real API answer 404 for /jobs/batch.
    wrong_base = f"{producer_url}/not-the-api"

    finished = await run_seed("--count", "5", "--url", wrong_base)

    assert finished.returncode != 0
    assert finished.stderr.strip() == (
        f"seed.py: the producer API at {wrong_base} answered 404: Not Found"
    )
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


async def test_seed_refuses_a_count_below_one() -> None:
    finished = await run_seed("--count", "0", "--url", "http://127.0.0.1:9")

    assert finished.returncode == 2
    assert "--count: must be at least 1" in finished.stderr


async def test_seed_without_a_token_says_how_to_get_one(
    producer_url: str, monkeypatch: pytest.MonkeyPatch, db: asyncpg.Connection
) -> None:
    monkeypatch.delenv("JOBDECK_TOKEN")

    finished = await run_seed("--count", "3", "--url", producer_url)

    assert finished.returncode == 1
    assert "JOBDECK_TOKEN" in finished.stderr
    assert "jobdeck tokens create --role producer" in finished.stderr
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0
