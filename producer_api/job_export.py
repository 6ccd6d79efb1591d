"""GET /exports/jobs.ndjson: finished jobs, a line each, streamed through a server-side cursor.

Memory stays flat however many jobs match: PostgreSQL hands rows over `_ROWS_PER_FETCH` at a
time and each chunk is sent before the next is read. Lines are the archive's (lines.py), so
an export and ARCHIVE_DIR's files read back alike.
"""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from job_contract.jobs import JOB_FIELDS
from job_contract.retention import RETIRED_STATUSES
from job_contract.timestamps import day_start
from jobdeck_retention.lines import job_line
from producer_api.job_listing import JobFilter, filter_conditions, jobs

_ROWS_PER_FETCH = 1000

# The one definition of a job's finish time, in the database (migration 0011).
finished_at = sa.func.job_finished_at(jobs.c.completed_at, jobs.c.updated_at)


def export_select(where: JobFilter, day: date | None) -> sa.Select[Any]:
    """Finished jobs `where` matches (and, with `day`, that finished that UTC day), with
    their timelines; by finish time for a day, else oldest created first."""
    select = sa.select(
        *[jobs.c[name] for name in JOB_FIELDS],
        sa.func.job_events_json(jobs.c.id, type_=JSONB).label("events"),
    ).where(
        jobs.c.status.in_([status.value for status in RETIRED_STATUSES]),
        *filter_conditions(where),
    )
    if day is None:
        return select.order_by(jobs.c.created_at, jobs.c.id)
    return select.where(
        finished_at >= day_start(day), finished_at < day_start(day + timedelta(days=1))
    ).order_by(finished_at, jobs.c.id)


async def stream_lines(engine: AsyncEngine, select: sa.Select[Any]) -> AsyncIterator[bytes]:
    """The NDJSON lines of `select`'s rows, a fetch's worth per chunk."""
    async with engine.connect() as conn:
        result = await conn.stream(select.execution_options(yield_per=_ROWS_PER_FETCH))
        async for rows in result.mappings().partitions():
            yield b"".join(job_line(row) for row in rows)
