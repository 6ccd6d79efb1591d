"""JSON in and out: UTC times as `…Z`, ids as strings, validation errors as FastAPI shapes them."""

import json
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from starlette.responses import Response

Body = TypeVar("Body", bound=BaseModel)


class RequestInvalid(Exception):
    """A 422: `errors` are pydantic's, with where they are (body, query, path) in front."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("invalid request")
        self.errors = errors


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def json_response(content: object, status_code: int = 200) -> Response:
    body = json.dumps(content, default=_encode, separators=(",", ":"))
    return Response(body, status_code=status_code, media_type="application/json")


def error_response(status_code: int, detail: str) -> Response:
    return json_response({"detail": detail}, status_code)


def parse(model: type[Body], data: object, where: str) -> Body:
    """Validate `data` (JSON bytes, or a mapping of query parameters) as `model`."""
    try:
        if isinstance(data, bytes):
            return model.model_validate_json(data or b"{}")
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestInvalid(
            [
                {"type": e["type"], "loc": [where, *e["loc"]], "msg": e["msg"]}
                for e in error.errors(include_url=False)
            ]
        ) from None
