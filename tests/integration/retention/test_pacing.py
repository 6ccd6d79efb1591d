"""CLEANUP_DUTY: the cleaner rests between batches in proportion to each batch's own time, so a
large clean-up leaves the claim loops most of a core; it still deletes exactly the same jobs."""

import asyncio

import asyncpg
import pytest
from pydantic import ValidationError

from job_contract.retention import CleanupTrigger
from jobdeck_retention.cleaner import Cleanup
from jobdeck_retention.settings import RetentionSettings
from jobdeck_retention.store import RetentionStore
from tests.factories import insert_finished_jobs


class Rests:
    """Really rests (the run takes that much longer), and notes each rest."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(seconds)


async def test_a_run_rests_after_each_full_batch_three_times_as_long_at_a_quarter_duty(
    db: asyncpg.Connection, retention: RetentionStore
) -> None:
    await insert_finished_jobs(db, 7, "completed", 10)
    kept = await insert_finished_jobs(db, 2, "completed", 1)
    rests = Rests()
    settings = RetentionSettings(cleanup_batch_size=2, cleanup_duty=0.25)

    run = await Cleanup(retention, settings, rests).run(CleanupTrigger.CLI, "someone")

    assert run.deleted["completed"] == 7
    assert sorted(str(row["id"]) for row in await db.fetch("SELECT id FROM jobs")) == sorted(kept)
    # Batches of 2, 2, 2 and 1: a rest after each full one, none after the last.
    assert len(rests.seconds) == 3
    assert all(seconds > 0 for seconds in rests.seconds)
    # Three times each batch's own time: the run lasts at least four times its rests' third.
    assert run.duration_ms >= sum(rests.seconds) * 1000 * 4 / 3 * 0.95


async def test_at_full_duty_or_in_a_dry_run_it_does_not_rest(
    db: asyncpg.Connection, retention: RetentionStore
) -> None:
    await insert_finished_jobs(db, 5, "failed", 40)
    preview_rests, rests = Rests(), Rests()
    paced = RetentionSettings(cleanup_batch_size=2, cleanup_duty=0.1)
    back_to_back = RetentionSettings(cleanup_batch_size=2, cleanup_duty=1)

    preview = await Cleanup(retention, paced, preview_rests).run(CleanupTrigger.CLI, dry_run=True)
    done = await Cleanup(retention, back_to_back, rests).run(CleanupTrigger.CLI)

    assert preview.deleted["failed"] == 5
    assert preview_rests.seconds == []
    assert done.deleted["failed"] == 5
    assert rests.seconds == [0.0, 0.0]


@pytest.mark.parametrize("duty", ["0", "1.5", "-0.2"])
def test_a_duty_outside_0_to_1_is_refused_naming_it(
    duty: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEANUP_DUTY", duty)

    with pytest.raises(ValidationError, match="cleanup_duty"):
        RetentionSettings()
