"""What the job_events ledger says about the limits: how many jobs of a type were processing
at once (per type, or per concurrency_key), and the most claims in any window of a given
length. A job processes from its `claimed` event to the event that ends that attempt."""

from collections import Counter
from collections.abc import Hashable

import asyncpg

ENDS = ("completed", "failed", "retry_scheduled", "rescued", "cancelled")


async def most_processing_at_once(db: asyncpg.Connection, job_type: str, per_key: bool) -> int:
    """The highest number of `job_type`'s jobs processing at the same instant (per key when
    `per_key`: jobs without a key are not counted then)."""
    rows = await db.fetch(
        """
        SELECT e.kind, e.at, e.id, j.concurrency_key
        FROM job_events AS e JOIN jobs AS j ON j.id = e.job_id
        WHERE j.type = $1 AND e.kind = ANY($2::text[])
        """,
        job_type,
        ["claimed", *ENDS],
    )
    # At the same instant an end counts before a claim: the slot was free for it.
    timeline = sorted(rows, key=lambda row: (row["at"], row["kind"] == "claimed", row["id"]))
    running: Counter[Hashable] = Counter()
    most = 0
    for row in timeline:
        group: Hashable = row["concurrency_key"] if per_key else None
        if per_key and group is None:
            continue
        running[group] += 1 if row["kind"] == "claimed" else -1
        most = max(most, running[group])
    return most


async def most_claims_in_any_window(db: asyncpg.Connection, job_type: str, seconds: float) -> int:
    """The most `claimed` events of `job_type` in any window of `seconds` (open at its
    start: a slot used at t is free again at t + seconds)."""
    claims = [
        row["at"]
        for row in await db.fetch(
            """
            SELECT e.at FROM job_events AS e JOIN jobs AS j ON j.id = e.job_id
            WHERE j.type = $1 AND e.kind = 'claimed' ORDER BY e.at
            """,
            job_type,
        )
    ]
    most, first = 0, 0
    for last, at in enumerate(claims):
        while (at - claims[first]).total_seconds() >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most
