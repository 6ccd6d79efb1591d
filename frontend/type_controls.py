"""The /types page's forms: a type's limits as inputs and back as a PATCH body, a pasted
JSON Schema read for registration, and what each form shows after an answer.

Input names are the API's field paths ("rate_limit.per_seconds"), so its 422 details land
beside the input they are about.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from frontend.schema_form import FormField, FormItem, fields_for, place_errors, values_from
from job_contract.bounds import (
    MAX_ATTEMPTS,
    MAX_CONCURRENCY,
    MAX_RATE_LIMIT_JOBS,
    MAX_RATE_LIMIT_SECONDS,
    MAX_SCHEMA_BYTES,
    MAX_TIMEOUT_SECONDS,
    MAX_TYPE_DESCRIPTION_CHARS,
    MIN_ATTEMPTS,
)
from job_contract.job_types import JobTypeInfo

LIMIT_FIELDS = (
    FormField(
        "concurrency",
        "Concurrency",
        "number",
        hint="At most this many processing at once, across all runners.",
        minimum=1,
        maximum=MAX_CONCURRENCY,
        kind="integer",
    ),
    FormField(
        "key_concurrency",
        "Per key",
        "number",
        hint="At most this many processing at once per concurrency key.",
        minimum=1,
        maximum=MAX_CONCURRENCY,
        kind="integer",
    ),
    FormField(
        "rate_limit.jobs",
        "Rate: jobs",
        "number",
        hint="At most this many claims…",
        minimum=1,
        maximum=MAX_RATE_LIMIT_JOBS,
        kind="integer",
    ),
    FormField(
        "rate_limit.per_seconds",
        "Rate: per seconds",
        "number",
        hint="…in any window of this many seconds.",
        maximum=MAX_RATE_LIMIT_SECONDS,
        kind="number",
    ),
    FormField(
        "timeout_seconds",
        "Timeout (s)",
        "number",
        hint="A runner gives up on a job after this long; it is retried.",
        maximum=MAX_TIMEOUT_SECONDS,
        kind="number",
    ),
    FormField(
        "default_max_attempts",
        "Default attempts",
        "number",
        hint="For jobs that do not say.",
        minimum=MIN_ATTEMPTS,
        maximum=MAX_ATTEMPTS,
        kind="integer",
    ),
)


def limit_fields(type_name: str) -> tuple[FormField, ...]:
    """The limit inputs of one type's row, their ids told apart from other rows'."""
    return tuple(replace(limit, scope=type_name) for limit in LIMIT_FIELDS)


LIMIT_NAMES = frozenset({"rate_limit", *(f.name for f in LIMIT_FIELDS)})
# The controls PATCH sets to null when their inputs are blank: a blank limit is no limit.
_LIFTABLE = ("concurrency", "key_concurrency", "rate_limit", "timeout_seconds")


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def limit_values(job_type: JobTypeInfo) -> dict[str, str]:
    """What the limit inputs show for a type as the API has it."""
    rate = job_type.rate_limit
    return {
        "concurrency": _text(job_type.concurrency),
        "key_concurrency": _text(job_type.key_concurrency),
        "rate_limit.jobs": _text(rate.jobs if rate else None),
        "rate_limit.per_seconds": _text(rate.per_seconds if rate else None),
        "timeout_seconds": _text(job_type.timeout_seconds),
        "default_max_attempts": _text(job_type.default_max_attempts),
    }


def _seconds(value: float) -> str:
    return f"{value:g} s"


def limits_summary(job_type: JobTypeInfo) -> list[str]:
    """The type's limits in words, one item each; empty when nothing limits it."""
    parts = []
    if job_type.concurrency is not None:
        parts.append(f"{job_type.concurrency:,} at once")
    if job_type.key_concurrency is not None:
        parts.append(f"{job_type.key_concurrency:,} at once per key")
    if (rate := job_type.rate_limit) is not None:
        parts.append(f"{rate.jobs:,} per {_seconds(rate.per_seconds)}")
    if job_type.timeout_seconds is not None:
        parts.append(f"timeout {_seconds(job_type.timeout_seconds)}")
    if job_type.default_max_attempts is not None:
        parts.append(f"{job_type.default_max_attempts} attempts by default")
    return parts


def limits_change(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The PATCH body for the submitted limits, and {field: problem} for unreadable ones.
    Half a rate limit is sent as it is, so the API names the missing half."""
    body: dict[str, Any] = {}
    problems = values_from(LIMIT_FIELDS, form, body)
    for name in _LIFTABLE:
        body.setdefault(name, None)
    # Blank attempts are the API's own default: null asks for that too.
    body.setdefault("default_max_attempts", None)
    return body, problems


def limit_errors(errors: list[dict[str, Any]]) -> dict[str, str]:
    return place_errors(errors, LIMIT_NAMES, drop=("body",))


@dataclass
class FormState:
    """What a form shows: the values typed and the problems found, by input name."""

    values: Mapping[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class RowState(FormState):
    """One type's row after an action: its limits editor open when it has errors."""

    notice: str = ""

    @property
    def editing(self) -> bool:
        return bool(self.errors)


REGISTER_FIELDS = (
    FormField(
        "name",
        "Name",
        "text",
        required=True,
        hint="A lower-case letter, then lower-case letters, digits or _ (63 at most).",
        placeholder="e.g. resize_image",
        max_length=63,
    ),
    FormField(
        "description",
        "Description",
        "text",
        hint="One line saying what a job of this type does.",
        max_length=MAX_TYPE_DESCRIPTION_CHARS,
    ),
    FormField(
        "schema",
        "Payload schema",
        "json",
        required=True,
        hint="JSON Schema (draft 2020-12) of the payload. Jobs are checked against it, and"
        " the new-job form is built from it.",
        placeholder='{"type": "object", "required": ["url"], "properties": {"url":'
        ' {"type": "string"}}}',
        kind="json",
    ),
)
REGISTER_NAMES = frozenset(f.name for f in REGISTER_FIELDS)


@dataclass
class Registration:
    """The register form read: the type's name, description and the pasted schema."""

    name: str
    description: str
    schema: dict[str, Any] | None
    errors: dict[str, str]


def read_schema(text: str) -> tuple[dict[str, Any] | None, str]:
    """The pasted schema, or None and what is wrong with it (the API judges the rest)."""
    if not text.strip():
        return None, "Paste the JSON Schema of the type's payload."
    if len(text.encode()) > MAX_SCHEMA_BYTES:
        return None, f"A schema may have at most {MAX_SCHEMA_BYTES:,} bytes."
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"This is not valid JSON (line {error.lineno}, column {error.colno})."
    except RecursionError:
        return None, "This JSON is nested too deeply."
    if not isinstance(schema, dict):
        return None, 'A schema is a JSON object, such as {"type": "object", "properties": {…}}.'
    return schema, ""


def read_registration(form: Mapping[str, str]) -> Registration:
    name = form.get("name", "").strip()
    description = form.get("description", "").strip()
    schema, problem = read_schema(form.get("schema", ""))
    errors = {"schema": problem} if problem else {}
    if not name:
        errors = {"name": "Name the type.", **errors}
    if len(description) > MAX_TYPE_DESCRIPTION_CHARS:
        errors["description"] = f"At most {MAX_TYPE_DESCRIPTION_CHARS:,} characters."
    return Registration(name, description, schema, errors)


def registration_errors(errors: list[dict[str, Any]]) -> dict[str, str]:
    return place_errors(errors, REGISTER_NAMES, drop=("body", "path"))


def preview_fields(schema: Mapping[str, Any]) -> list[FormItem]:
    """The inputs /jobs/new will show for a type with this payload schema."""
    return fields_for(schema, "payload")


def limit_form(job_type: JobTypeInfo, state: RowState | None) -> FormState:
    """What a row's limits editor shows: what was typed after a refusal, else the type's."""
    if state is not None and state.editing:
        return state
    return FormState(values=limit_values(job_type))
