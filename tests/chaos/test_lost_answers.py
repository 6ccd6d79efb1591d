"""Network faults between a runner and the worker service (scenario 4, and the runner's fixes):
an answer lost after the service acted, and a path that goes silent."""

import asyncio
import json
import signal
from functools import partial

import asyncpg
import pytest

from tests.chaos.conftest import FIGURES, LEASE_SECONDS, Figure, Fleet
from tests.chaos.handlers import JOB_TYPE
from tests.chaos.http_faults import FaultyHttpProxy
from tests.chaos.ledger import audit
from tests.eventually import eventually, value_becomes
from tests.factories import insert_jobs

pytestmark = pytest.mark.chaos

STATUSES = "SELECT status, count(*) FROM jobs GROUP BY status"


async def statuses(db: asyncpg.Connection) -> dict[str, int]:
    return dict(await db.fetch(STATUSES))


@pytest.mark.parametrize("path", ["/complete", "/fail/"])
async def test_an_outcome_whose_answer_was_lost_is_sent_again_and_counts_once(
    chaos_workers: list[str], fleet: Fleet, db: asyncpg.Connection, path: str
) -> None:
    fail_times = 1 if path == "/fail/" else 0
    payload = json.dumps({"fail_times": fail_times})
    async with FaultyHttpProxy(chaos_workers[0]) as proxy:
        # The first report never arrives; the service records the second, but its answer
        # is lost; the third is a replay, answered as a success.
        proxy.reset_requests(path)
        proxy.drop_answers(path)
        fleet.start(proxy.url, "--concurrency", "2")
        await insert_jobs(db, 4, type=JOB_TYPE, payload=payload, max_attempts=3)

        await value_becomes(partial(statuses, db), {"completed": 4})
        assert await fleet.stop_all() == [0]

    assert proxy.injected == {"reset request": 1, "drop answer": 1}  # the faults did happen
    ledger = await audit(db, fleet.run_log)
    ledger.assert_sound()
    assert ledger.rescued == 0  # recovered by the retry, not by the lease running out
    FIGURES.append(
        Figure(f"4 {path}: request and answer lost", "2 connections reset", ledger, "-", None)
    )


async def test_a_runner_cut_off_from_the_service_stops_its_job_when_the_lease_runs_out(
    chaos_workers: list[str], fleet: Fleet, db: asyncpg.Connection
) -> None:
    """Half-open: the runner's requests vanish unanswered. It must not work on past its
    lease (someone else gets the job), and must not hang: back in touch, it works on."""
    [stuck] = await insert_jobs(db, type=JOB_TYPE, payload='{"sleep_ms": 60000}')
    async with FaultyHttpProxy(chaos_workers[0]) as proxy:
        runner = fleet.start(proxy.url, "--concurrency", "1", "--worker-id", "cut-off")
        await value_becomes(partial(statuses, db), {"processing": 1})

        proxy.hold("/")

        async def runner_log() -> str:
            return fleet.log(runner)

        said = await eventually(
            runner_log, until=lambda text: "ran out unrenewed" in text, seconds=LEASE_SECONDS + 10
        )
        assert str(stuck) in said
        # Meanwhile the service's rescuer gave the job back to the queue: another runner
        # completes it, once.
        await db.execute("UPDATE jobs SET payload = '{}' WHERE id = $1", stuck)
        other = fleet.start(chaos_workers[1], "--concurrency", "1", "--worker-id", "other")
        await value_becomes(partial(statuses, db), {"completed": 1})
        other.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(asyncio.to_thread(other.wait), 20) == 0

        # Back in touch, the cut-off runner was not hung: it takes the next jobs.
        proxy.heal()
        await insert_jobs(db, 3, type=JOB_TYPE, payload="{}")
        await value_becomes(partial(statuses, db), {"completed": 4})
        assert await fleet.stop_all() == [0, 0]

    ledger = await audit(db, fleet.run_log)
    ledger.assert_sound()
    FIGURES.append(Figure("4 runner cut off (half-open)", "requests held", ledger, "-", None))
    assert (
        await db.fetchval(
            "SELECT worker_id FROM job_events WHERE job_id = $1 AND kind = 'completed'", stuck
        )
        == "other"
    )
    finishers = await db.fetch(
        "SELECT DISTINCT worker_id FROM job_events WHERE kind = 'completed' AND job_id <> $1", stuck
    )
    assert [row["worker_id"] for row in finishers] == ["cut-off"]


async def test_a_claim_whose_answer_was_lost_is_rescued_and_completed_once(
    chaos_workers: list[str], fleet: Fleet, db: asyncpg.Connection
) -> None:
    """The service leased the job, but the runner never heard: nobody works on it until its
    lease runs out and the rescuer gives it back; then it runs once, and completes once."""
    [job_id] = await insert_jobs(db, type=JOB_TYPE, payload="{}")
    async with FaultyHttpProxy(chaos_workers[0]) as proxy:
        proxy.drop_answers("/process")
        fleet.start(proxy.url, "--concurrency", "1")

        await value_becomes(partial(statuses, db), {"completed": 1}, seconds=LEASE_SECONDS + 20)
        assert await fleet.stop_all() == [0]

    assert proxy.injected == {"drop answer": 1}
    kinds = [row["kind"] for row in await db.fetch("SELECT kind FROM job_events ORDER BY id")]
    assert kinds == ["claimed", "rescued", "claimed", "completed"]
    assert fleet.run_log.read_text().split() == [job_id, "2"]  # the handler ran once
    ledger = await audit(db, fleet.run_log)
    ledger.assert_sound()
    FIGURES.append(Figure("4 claim's answer lost", "1 answer dropped", ledger, "-", None))
