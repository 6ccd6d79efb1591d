"""Custom job types' payload schemas: checked when a type is registered, compiled once, then
used to validate its jobs' payloads (JSON Schema draft 2020-12, with format checking).

Both a schema and a payload arrive as parsed JSON from a client, so both are bounded before
anything else looks at them (size, depth, and values PostgreSQL cannot store). A `$ref` is
never fetched: a registration must not make the API call out to other hosts.
"""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from job_contract.bounds import (
    MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_DEPTH,
    MAX_SCHEMA_BYTES,
    MAX_SCHEMA_DEPTH,
    MAX_SCHEMA_REGEX_BYTES,
    MAX_VALIDATION_ERRORS,
)

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: `loc` is the path inside the document that was checked."""

    loc: Location
    msg: str
    type: str

    def as_error(self, prefix: Location) -> dict[str, Any]:
        """The problem in FastAPI's validation-error shape, under `prefix` (the body's field)."""
        return {"loc": [*prefix, *self.loc], "msg": self.msg, "type": self.type}


class SchemaRefused(Exception):
    """the schema is not one a job type can have"""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(problem.msg for problem in problems))
        self.problems = problems


def _refuse_retrieval(uri: str) -> Any:
    raise ValueError(f"only references inside the schema are allowed, not {uri}")


# Rust regular expressions run in linear time; these caps keep compiling one cheap too.
_PATTERN_OPTIONS = jsonschema_rs.FancyRegexOptions(
    size_limit=MAX_SCHEMA_REGEX_BYTES, dfa_size_limit=MAX_SCHEMA_REGEX_BYTES
)


def compile_schema(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """The validator for a type's payload schema, or SchemaRefused naming what is wrong."""
    problems = json_problems(schema, MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH)
    if problems:
        raise SchemaRefused(problems)
    declared = schema.get("$schema", DRAFT_2020_12)
    if declared not in (DRAFT_2020_12, DRAFT_2020_12 + "#"):
        raise SchemaRefused(
            [Problem(("$schema",), f"must be {DRAFT_2020_12} (or left out)", "value_error")]
        )
    if schema.get("type") != "object":
        message = 'a payload is a JSON object: the schema must say "type": "object"'
        raise SchemaRefused([Problem(("type",), message, "value_error")])
    try:
        return jsonschema_rs.Draft202012Validator(
            schema,
            validate_formats=True,
            retriever=_refuse_retrieval,
            pattern_options=_PATTERN_OPTIONS,
        )
    except jsonschema_rs.ValidationError as error:
        where = tuple(error.instance_path)
        raise SchemaRefused([Problem(where, error.message, "json_schema_invalid")]) from None
    except (jsonschema_rs.ReferencingError, ValueError) as error:
        raise SchemaRefused([Problem((), str(error), "json_schema_invalid")]) from None


def payload_problems(validator: jsonschema_rs.Validator, payload: dict[str, Any]) -> list[Problem]:
    """Each way the payload fails its type's schema (the first few), with the field's path."""
    problems = json_problems(payload, MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH)
    if problems:
        return problems
    found: list[Problem] = []
    for error in validator.iter_errors(payload):
        found.extend(_problems_of(error))
        if len(found) >= MAX_VALIDATION_ERRORS:
            break
    return found[:MAX_VALIDATION_ERRORS]


def _problems_of(error: jsonschema_rs.ValidationError) -> Iterator[Problem]:
    """A missing or unexpected property is named at its own path, as pydantic names it."""
    at = tuple(error.instance_path)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        yield Problem((*at, kind.property), error.message, "missing")
    elif isinstance(
        kind,
        jsonschema_rs.ValidationErrorKind.AdditionalProperties
        | jsonschema_rs.ValidationErrorKind.UnevaluatedProperties,
    ):
        for name in kind.unexpected:
            yield Problem((*at, name), f"{name!r} is not allowed here", "extra_forbidden")
    else:
        yield Problem(at, error.message, f"json_schema_{kind.name}")


def json_problems(value: Any, max_bytes: int, max_depth: int) -> list[Problem]:
    """Refuse parsed JSON that is too deep or too big, or holds what PostgreSQL cannot store
    (NUL, lone surrogates) or JSON cannot say (NaN, Infinity). Walked without recursion, so
    depth is checked before anything recursive sees the value."""
    stack: list[tuple[Location, Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if len(path) > max_depth:
            return [Problem(path, f"nested more than {max_depth} levels deep", "too_deep")]
        if isinstance(item, dict):
            for key, child in item.items():
                if (problem := _text_problem((*path, key), key)) is not None:
                    return [problem]
                stack.append(((*path, key), child))
        elif isinstance(item, list):
            stack.extend(((*path, index), child) for index, child in enumerate(item))
        elif isinstance(item, str):
            if (problem := _text_problem(path, item)) is not None:
                return [problem]
        elif isinstance(item, float) and not math.isfinite(item):
            return [Problem(path, "must be a finite number", "finite_number")]
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > max_bytes:
        message = f"is {size:,} bytes as JSON, over the limit of {max_bytes:,}"
        return [Problem((), message, "too_long")]
    return []


def _text_problem(path: Location, text: str) -> Problem | None:
    if "\x00" in text:
        return Problem(path, "must not contain NUL (\\u0000) characters", "string_nul")
    try:
        text.encode()
    except UnicodeEncodeError:
        return Problem(path, "must be valid Unicode (a lone surrogate is not)", "string_unicode")
    return None
