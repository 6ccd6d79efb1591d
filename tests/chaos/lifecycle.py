"""The SPEC's job lifecycle as a small in-memory model: what each request about a job should
be answered, and what the job's status, attempts and holder are afterwards. Scenario 8's state
machine (test_model_check.py) and scenario 9's stateful fuzz (test_stateful_fuzz.py) hold the
real services to this one model.

Also the jobs table both read between steps (the model's database and services are fixtures
in conftest.py).
"""

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import asyncpg

Row = tuple[str, int, str | None]  # status, attempts, holder (locked_by)


class Outcome(Enum):
    """How the service must answer a runner's report of an attempt's outcome."""

    RECORDED = "recorded"  # 200: the job took the outcome
    REPLAYED = "replayed"  # 200: this report was recorded before (its answer got lost); no change
    CONFLICT = "conflict"  # 409: not the job's current attempt or holder; no change


@dataclass
class ModelJob:
    order: int  # creation order: the claim order, all priorities being equal
    max_attempts: int
    status: str = "pending"
    attempts: int = 0
    holder: str | None = None
    backing_off: bool = False  # pending, but its retry delay has not passed
    lease_expired: bool = False
    # What the ledger holds: reports of (attempt, runner) already recorded, never forgotten.
    completions: set[tuple[int, str]] = field(default_factory=set)
    failures: set[tuple[int, str]] = field(default_factory=set)

    @property
    def claimable(self) -> bool:
        return self.status == "pending" and not self.backing_off

    @property
    def row(self) -> Row:
        return self.status, self.attempts, self.holder

    def holds(self, runner: str) -> bool:
        return self.status == "processing" and self.holder == runner

    def claim(self, runner: str) -> None:
        assert self.claimable, f"a {self.status} job was claimed (backing off: {self.backing_off})"
        self.status, self.attempts, self.holder = "processing", self.attempts + 1, runner
        self.lease_expired = False

    def heartbeat(self, runner: str) -> bool:
        """Whether the runner's heartbeat answers the job as lost."""
        held = self.holds(runner)
        if held:
            self.lease_expired = False
        return not held

    def _report(
        self, attempt: int | None, runner: str | None, ledger: set[tuple[int, str]]
    ) -> Outcome:
        """A report naming an attempt and a runner, either left out (then not checked)."""
        if (
            self.status == "processing"
            and attempt in (None, self.attempts)
            and runner in (None, self.holder)
        ):
            assert self.holder is not None
            ledger.add((self.attempts, self.holder))
            return Outcome.RECORDED
        # A report naming neither cannot be told from someone else's: never a replay.
        if attempt is None and runner is None:
            return Outcome.CONFLICT
        reported = self.attempts if attempt is None else attempt
        if any(was == reported and runner in (None, by) for was, by in ledger):
            return Outcome.REPLAYED
        return Outcome.CONFLICT

    def complete(self, attempt: int | None, runner: str | None) -> Outcome:
        outcome = self._report(attempt, runner, self.completions)
        if outcome is Outcome.RECORDED:
            self.status, self.holder, self.lease_expired = "completed", None, False
        return outcome

    def fail(self, attempt: int | None, runner: str | None, retryable: bool) -> Outcome:
        outcome = self._report(attempt, runner, self.failures)
        if outcome is Outcome.RECORDED:
            again = retryable and self.attempts < self.max_attempts
            self.status = "pending" if again else "failed"
            self.holder, self.lease_expired, self.backing_off = None, False, again
        return outcome

    def cancel(self) -> bool:
        """Whether the producer's cancel is allowed (200) or refused (409)."""
        if self.status != "pending":
            return False
        self.status, self.backing_off = "cancelled", False
        return True

    def retry(self) -> bool:
        """Whether the producer's manual retry is allowed (200) or refused (409)."""
        if self.status not in ("failed", "cancelled"):
            return False
        self.status, self.attempts, self.backing_off = "pending", 0, False
        return True

    def time_passes(self) -> None:
        """An hour: every lease runs out, every back-off is over."""
        self.backing_off = False
        self.lease_expired = self.status == "processing"

    def rescue(self) -> None:
        self.status = "pending" if self.attempts < self.max_attempts else "failed"
        self.holder, self.lease_expired = None, False


def first_claimable(jobs: dict[str, ModelJob]) -> str | None:
    """The job a claim must hand out next, if any."""
    claimable = [job_id for job_id, job in jobs.items() if job.claimable]
    return min(claimable, key=lambda job_id: jobs[job_id].order, default=None)


class JobsTable:
    """The model database's jobs, read and changed synchronously between a machine's steps."""

    def __init__(self, database_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.db: asyncpg.Connection = self.run(asyncpg.connect(database_url))

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coroutine)

    def clear(self) -> None:
        # DELETE, not TRUNCATE: TRUNCATE's exclusive locks, taken table by table, deadlock with
        # the services' own maintenance reading those tables meanwhile (seen on PostgreSQL 15).
        # A job's events go with it (ON DELETE CASCADE).
        self.run(self.db.execute("DELETE FROM jobs; DELETE FROM workers"))

    def rows(self) -> dict[str, Row]:
        rows = self.run(self.db.fetch("SELECT id, status, attempts, locked_by FROM jobs"))
        return {str(row["id"]): (row["status"], row["attempts"], row["locked_by"]) for row in rows}

    def assert_as_modelled(self, jobs: dict[str, ModelJob]) -> None:
        """Every job in the table, and none else, with the status, attempts and holder the
        model says."""
        assert self.rows() == {job_id: job.row for job_id, job in jobs.items()}

    def close(self) -> None:
        self.run(self.db.close())
        self.loop.close()
