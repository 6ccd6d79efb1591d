"""The `q` search: an id prefix, or text anywhere in the payload, case-insensitive."""

import json
import re
from typing import Any
from uuid import UUID

import sqlalchemy as sa

_HEX_PREFIX = re.compile(r"^[0-9a-f-]{1,36}$")


def matches(id_column: Any, payload_column: Any, q: str) -> sa.ColumnElement[bool]:
    # Payload text is searched as PostgreSQL prints the JSON (served by a trigram index),
    # so the query is escaped the same way: a quote in q matches \" in the stored text.
    needle = json.dumps(q, ensure_ascii=False)[1:-1]
    in_payload = sa.cast(payload_column, sa.Text).ilike(f"%{_escape_like(needle)}%", escape="\\")
    id_range = uuid_prefix_range(q)
    if id_range is None:
        return in_payload
    return sa.or_(id_column.between(*id_range), in_payload)


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
