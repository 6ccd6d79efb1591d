"""What the job_events ledger (and the handlers' own run log) say happened: the proof that no
job was lost or done twice, and the figures `make chaos` prints.

An attempt is a `claimed` event; it ends in exactly one of completed, failed, retry_scheduled,
rescued. A job's attempts are claimed 1, 2, ... once each; a completed job has exactly one
`completed` event; a handler runs at most once per attempt.
"""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import asyncpg

ENDS = ("completed", "failed", "retry_scheduled", "rescued")

_ATTEMPTS = """
    SELECT j.id, j.status, j.attempts,
           count(*) FILTER (WHERE e.kind = 'claimed') AS claims,
           count(DISTINCT e.attempt) FILTER (WHERE e.kind = 'claimed') AS attempts_claimed,
           count(*) FILTER (WHERE e.kind = 'completed') AS completions,
           count(*) FILTER (WHERE e.kind = ANY($1::text[])) AS ends
    FROM jobs AS j LEFT JOIN job_events AS e ON e.job_id = j.id
    GROUP BY j.id
"""


@dataclass(frozen=True)
class Audit:
    jobs: int
    completed: int
    failed: int
    unfinished: int  # neither completed nor failed: lost, unless still on its way
    completed_twice: int  # jobs with more than one `completed` event
    claimed_twice: int  # jobs with an attempt claimed more than once
    unended: int  # jobs with a claimed attempt that never ended (nor is processing now)
    ran_twice: int  # (job, attempt) pairs whose handler ran more than once
    rescued: int

    def assert_sound(self, expect_failed: int = 0, reruns_allowed: bool = False) -> None:
        """Nothing lost, nothing done twice, every attempt accounted for. `reruns_allowed`:
        a handler may have run twice in one attempt (after a crash lost the claim that
        started it: claims commit asynchronously), as long as the job completed once."""
        assert self.unfinished == 0, self
        assert self.completed_twice + self.claimed_twice == 0, self
        assert reruns_allowed or self.ran_twice == 0, self
        assert self.unended == 0, self
        assert (self.completed, self.failed) == (self.jobs - expect_failed, expect_failed), self


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def audit(db: asyncpg.Connection, run_log: Path | None = None) -> Audit:
    rows = await db.fetch(_ATTEMPTS, list(ENDS))
    statuses = Counter(row["status"] for row in rows)
    runs = Counter(_lines(run_log)) if run_log else Counter()
    return Audit(
        jobs=len(rows),
        completed=statuses["completed"],
        failed=statuses["failed"],
        unfinished=len(rows) - statuses["completed"] - statuses["failed"],
        completed_twice=sum(row["completions"] > 1 for row in rows),
        claimed_twice=sum(
            row["claims"] != row["attempts_claimed"] or row["attempts_claimed"] != row["attempts"]
            for row in rows
        ),
        unended=sum(row["ends"] != row["claims"] - (row["status"] == "processing") for row in rows),
        ran_twice=sum(count > 1 for count in runs.values()),
        rescued=await db.fetchval("SELECT count(*) FROM job_events WHERE kind = 'rescued'"),
    )
