"""The `q` search: an id prefix, or text anywhere in the payload, case-insensitive."""

import json
import re
from uuid import UUID

import sqlalchemy as sa

from producer_api.models import JobSearch

job_search = JobSearch.__table__  # type: ignore[attr-defined]

_HEX_PREFIX = re.compile(r"^[0-9a-f-]{1,36}$")


def matching_ids(q: str) -> sa.Select[tuple[UUID]]:
    """The ids of the jobs `q` finds, all from `job_search` (one row per job).

    The payload's text is searched as PostgreSQL prints the JSON (`payload::text`, served by a
    trigram index), so the query is escaped the same way: a quote in q matches \\" in the text.
    An id prefix is looked up in the same table's primary key, so both halves of the OR are
    index scans of one table (a BitmapOr) and the whole is one semi-join for the planner.
    """
    needle = json.dumps(q, ensure_ascii=False)[1:-1]
    in_payload = job_search.c.payload_text.ilike(f"%{_escape_like(needle)}%", escape="\\")
    id_range = uuid_prefix_range(q)
    found: sa.ColumnElement[bool] = (
        in_payload
        if id_range is None
        else sa.or_(job_search.c.job_id.between(*id_range), in_payload)
    )
    return sa.select(job_search.c.job_id).where(found)


def matches(id_column: sa.ColumnElement[UUID], q: str) -> sa.ColumnElement[bool]:
    """A condition on `jobs`: its id is one that `q` finds."""
    return id_column.in_(matching_ids(q))


def uuid_prefix_range(q: str) -> tuple[UUID, UUID] | None:
    """The id range a prefix covers, so the primary key index answers it without a scan."""
    prefix = q.strip().lower()
    if not _HEX_PREFIX.match(prefix):
        return None
    digits = prefix.replace("-", "")
    if not digits or len(digits) > 32:
        return None
    return UUID(digits.ljust(32, "0")), UUID(digits.ljust(32, "f"))


def _escape_like(text: str) -> str:
    """`%` and `_` in a search are literal characters, not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
