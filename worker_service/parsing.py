"""Reading requests: bodies, query strings and path segments, refused as FastAPI shapes a 422."""

import re
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from job_contract.job_types import JOB_TYPE_NAME_PATTERN
from job_contract.payloads import REPORT_TYPES, ReportType
from worker_service.errors import ReportNotFound

Body = TypeVar("Body", bound=BaseModel)

_JOB_TYPE_NAME = re.compile(JOB_TYPE_NAME_PATTERN)


class RequestInvalid(Exception):
    """A 422: `errors` are pydantic's, with where they are (body, query, path) in front."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("invalid request")
        self.errors = errors


def parse(
    model: type[Body], data: object, where: str, context: dict[str, Any] | None = None
) -> Body:
    """Validate `data` (JSON bytes, or a mapping of query parameters) as `model`; `context`
    carries the service's own limits to the contract's validators."""
    try:
        if isinstance(data, bytes):
            return model.model_validate_json(data or b"{}", context=context)
        return model.model_validate(data, context=context)
    except ValidationError as error:
        raise RequestInvalid(
            [
                {"type": e["type"], "loc": [where, *e["loc"]], "msg": e["msg"]}
                for e in error.errors(include_url=False)
            ]
        ) from None


def parse_job_id(raw: str) -> UUID:
    """The `{job_id}` of a path."""
    try:
        return UUID(raw)
    except ValueError:
        raise RequestInvalid(
            [
                {
                    "type": "uuid_parsing",
                    "loc": ["path", "job_id"],
                    "msg": "Input should be a valid UUID",
                }
            ]
        ) from None


def parse_types(raw: str | None) -> list[str] | None:
    """`types=email,resize_image`: the job types a claim is for, or None for any. Any well-formed
    name is accepted, registered or not: a type registered later is then claimed at once."""
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    malformed = [name for name in names if not _JOB_TYPE_NAME.match(name)]
    if malformed:
        raise RequestInvalid(
            [
                {
                    "type": "string_pattern_mismatch",
                    "loc": ["query", "types"],
                    "msg": f"{malformed[0][:70]!r} is not a job type name: a lower-case letter,"
                    " then letters, digits or _ (63 at most)",
                }
            ]
        )
    return names


def parse_report_type(raw: str) -> ReportType:
    """The `{report_type}` of a path: an unknown report is not found, like an unknown page."""
    for report_type in REPORT_TYPES:
        if raw == report_type:
            return report_type
    raise ReportNotFound(raw)
