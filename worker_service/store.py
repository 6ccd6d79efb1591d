"""WorkerStore: one typed async method per statement of queries.sql; nothing else runs SQL.

Two pools: claims and lease renewals commit without waiting for the WAL flush (a claim lost
in a crash just leaves the job pending again, and the lease covers the rest), while outcomes
(complete, fail, rescue, artifacts) are durable before the runner hears back.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from job_contract import JobStatus

_QUERY_FILE = Path(__file__).with_name("queries.sql")
_BLOCK_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)

# The SPEC's job shape; other columns (idempotency bookkeeping, claimed_at) stay inside.
PUBLIC_FIELDS = (
    "id", "type", "status", "priority", "payload", "result", "error", "attempts",
    "max_attempts", "scheduled_for", "created_at", "updated_at", "completed_at",
    "locked_by", "locked_until",
)  # fmt: skip

REPORT_QUERIES = {
    "jobs_summary": "report_jobs_summary",
    "failures": "report_failures",
    "throughput": "report_throughput",
}


def load_queries(path: Path = _QUERY_FILE) -> dict[str, str]:
    """Split queries.sql into {name: statement} at its `-- name:` headers."""
    text = path.read_text()
    parts = _BLOCK_HEADER.split(text)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


QUERIES = load_queries()


@dataclass(frozen=True)
class Outcome:
    """A runner's report that a job finished: the fencing attempt, and its result."""

    id: UUID
    attempt: int | None
    result: dict[str, Any] | None


async def _use_json_codecs(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, schema="pg_catalog", encoder=json.dumps, decoder=json.loads
        )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Skip asyncpg's reset round trip on release: every statement here is one autocommit
    statement that leaves no session state behind (no SET, LISTEN or advisory lock)."""


async def create_pool(database_url: str, size: int, durable: bool) -> asyncpg.Pool:
    settings = {"application_name": "jobdeck-worker-service"}
    if not durable:
        settings["synchronous_commit"] = "off"
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=size,
        init=_use_json_codecs,
        reset=_keep_session,
        server_settings=settings,
        timeout=5,
        command_timeout=30,
    )
    return pool


def public(record: asyncpg.Record) -> dict[str, Any]:
    return {field: record[field] for field in PUBLIC_FIELDS}


class WorkerStore:
    def __init__(
        self,
        durable: asyncpg.Pool,
        fast: asyncpg.Pool,
        lease_seconds: float,
        retry_base_delay_seconds: float,
        retry_max_delay_seconds: float,
    ) -> None:
        self._durable = durable
        self._fast = fast
        self._lease_seconds = lease_seconds
        self._retry_base = retry_base_delay_seconds
        self._retry_max = retry_max_delay_seconds

    # --- claiming -------------------------------------------------------------------------

    async def claim(
        self, worker_id: str, limit: int, types: Sequence[str] | None
    ) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._fast.fetch(
            QUERIES["job_claim"], worker_id, limit, _array(types), self._lease_seconds
        )
        return rows

    async def next_claimable_in(self, types: Sequence[str] | None) -> float | None:
        """Seconds until a scheduled or backing-off job becomes claimable, if there is one."""
        wait: timedelta | None = await self._fast.fetchval(
            QUERIES["job_next_scheduled"], _array(types)
        )
        return None if wait is None else max(wait.total_seconds(), 0.0)

    async def extend_leases(self, worker_id: str, job_ids: Sequence[UUID]) -> set[UUID]:
        rows = await self._fast.fetch(
            QUERIES["job_extend_leases"], worker_id, list(job_ids), self._lease_seconds
        )
        return {row["id"] for row in rows}

    # --- outcomes -------------------------------------------------------------------------

    async def complete(
        self, outcomes: Sequence[Outcome], worker_id: str | None
    ) -> list[asyncpg.Record]:
        """Complete the jobs still held by the attempt that ran them; return those rows."""
        rows: list[asyncpg.Record] = await self._durable.fetch(
            QUERIES["job_complete"],
            [outcome.id for outcome in outcomes],
            [outcome.attempt for outcome in outcomes],
            [
                json.dumps(outcome.result) if outcome.result is not None else None
                for outcome in outcomes
            ],
            worker_id,
        )
        return rows

    async def fail(
        self,
        job_id: UUID,
        attempt: int | None,
        worker_id: str | None,
        error: str,
        retryable: bool,
    ) -> asyncpg.Record | None:
        return await self._durable.fetchrow(
            QUERIES["job_fail"],
            job_id,
            attempt,
            worker_id,
            error,
            retryable,
            self._retry_base,
            self._retry_max,
        )

    async def get_job(self, job_id: UUID) -> asyncpg.Record | None:
        return await self._durable.fetchrow(QUERIES["job_get"], job_id)

    async def put_artifact(
        self, job_id: UUID, content_type: str, filename: str, content: bytes, attempt: int | None
    ) -> bool:
        stored = await self._durable.fetchval(
            QUERIES["job_artifact_put"], job_id, content_type, filename, content, attempt
        )
        return stored is not None

    # --- maintenance ----------------------------------------------------------------------

    async def rescue_expired(self, limit: int) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._durable.fetch(QUERIES["job_rescue_expired"], limit)
        return rows

    async def forget_stale_workers(self) -> None:
        await self._durable.execute(QUERIES["worker_forget_stale"])

    # --- runners --------------------------------------------------------------------------

    async def heartbeat(self, worker_id: str, processed: int, stopping: bool) -> None:
        await self._fast.execute(QUERIES["worker_heartbeat"], worker_id, processed, stopping)

    async def list_workers(self) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._durable.fetch(QUERIES["worker_list"])
        return rows

    # --- reading --------------------------------------------------------------------------

    async def counts_by_status(self) -> dict[str, int]:
        rows = await self._durable.fetch(QUERIES["job_counts_by_status"])
        counts = dict.fromkeys(JobStatus, 0)
        counts.update({row["status"]: row["count"] for row in rows})
        return {str(status): count for status, count in counts.items()}

    async def report_rows(self, report_type: str, start: date, end: date) -> list[dict[str, Any]]:
        """The rows a report is built from: jobs created (or finished) in [start, end]."""
        since = datetime.combine(start, time.min, tzinfo=UTC)
        until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
        rows = await self._durable.fetch(QUERIES[REPORT_QUERIES[report_type]], since, until)
        return [dict(row) for row in rows]

    async def ping(self) -> None:
        await self._durable.fetchval(QUERIES["database_ping"])


def _array(values: Sequence[str] | None) -> list[str] | None:
    return list(values) if values else None
