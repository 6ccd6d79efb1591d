"""Query parameters that accept repeats and comma-separated lists (`?status=a,b&status=c`)."""

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


def split_list(
    name: str, raw: list[str] | None, parse: Callable[[str], T], allowed: str
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
                raise invalid(name, item, f"must be one of {allowed}") from None
    return list(dict.fromkeys(values))


def enum_list(name: str, raw: list[str] | None, enum: type[E]) -> list[E]:
    return split_list(name, raw, enum, ", ".join(member.value for member in enum))


def type_list(raw: list[str] | None) -> list[str]:
    """Job type names: any name a type may have (one that no job has matches none)."""

    def parse(item: str) -> str:
        if not re.fullmatch(JOB_TYPE_NAME_PATTERN, item):
            raise ValueError(item)
        return item

    return split_list("type", raw, parse, "the job type names GET /job-types lists")


def priority_list(raw: list[str] | None) -> list[int]:
    def parse(item: str) -> int:
        value = int(item)
        if value not in PRIORITIES:
            raise ValueError(item)
        return value

    return split_list("priority", raw, parse, ", ".join(map(str, PRIORITIES)))


def search_text(q: str | None) -> str | None:
    if q is None or not q.strip():
        return None
    try:
        return reject_nul(q)
    except ValueError as error:
        raise invalid("q", q, str(error)) from None


def invalid(name: str, value: str, message: str) -> RequestValidationError:
    """The same 422 shape FastAPI gives for its own parameter errors."""
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("query", name),
                "msg": f"{name} {message}",
                "input": value,
            }
        ]
    )
