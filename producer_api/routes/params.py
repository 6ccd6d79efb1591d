"""Filter values that accept repeats and comma-separated lists (`?status=a,b&status=c`).

A value read from a body (POST /jobs/bulk's `filter`) is refused at its place there: `where`
is the location its field sits under, `("query",)` for a query parameter.
"""

import re
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from fastapi.exceptions import RequestValidationError

from job_contract.bounds import PRIORITIES
from job_contract.job_types import JOB_TYPE_NAME_PATTERN
from job_contract.text import reject_nul

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


Where = tuple[str, ...]
QUERY: Where = ("query",)


def split_list(
    name: str,
    raw: list[str] | None,
    parse: Callable[[str], T],
    allowed: str,
    where: Where = QUERY,
) -> list[T]:
    values: list[T] = []
    for chunk in raw or []:
        for item in chunk.split(","):
            item = item.strip()
            if not item:
                continue
            try:
                values.append(parse(item))
            except ValueError:
                raise invalid(name, item, f"must be one of {allowed}", where) from None
    return list(dict.fromkeys(values))


def enum_list(name: str, raw: list[str] | None, enum: type[E], where: Where = QUERY) -> list[E]:
    return split_list(name, raw, enum, ", ".join(member.value for member in enum), where)


def type_list(raw: list[str] | None, where: Where = QUERY) -> list[str]:
    """Job type names: any name a type may have (one that no job has matches none)."""

    def parse(item: str) -> str:
        if not re.fullmatch(JOB_TYPE_NAME_PATTERN, item):
            raise ValueError(item)
        return item

    return split_list("type", raw, parse, "the job type names GET /job-types lists", where)


def priority_list(raw: list[str] | None, where: Where = QUERY) -> list[int]:
    def parse(item: str) -> int:
        value = int(item)
        if value not in PRIORITIES:
            raise ValueError(item)
        return value

    return split_list("priority", raw, parse, ", ".join(map(str, PRIORITIES)), where)


def search_text(q: str | None, where: Where = QUERY) -> str | None:
    if q is None or not q.strip():
        return None
    try:
        return reject_nul(q)
    except ValueError as error:
        raise invalid("q", q, str(error), where) from None


def invalid(name: str, value: str, message: str, where: Where = QUERY) -> RequestValidationError:
    """The same 422 shape FastAPI gives for its own parameter errors."""
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": (*where, name),
                "msg": f"{name} {message}",
                "input": value,
            }
        ]
    )
