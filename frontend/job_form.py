"""The create form: fields built from a job type's JSON Schema, the request body built back
from the submitted fields, and the API's 422 errors placed beside the fields they concern.

A field's name is its dotted path in the request body ("payload.date_range.start"), so the
three directions need no mapping table.
"""

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from job_contract import JobType
from job_contract.bounds import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_PRIORITY,
    MAX_ATTEMPTS,
    MAX_PRIORITY,
    MIN_ATTEMPTS,
    PRIORITIES,
)

Widget = Literal["text", "email", "textarea", "select", "radio", "date", "datetime-local", "number"]

# Strings allowed to be longer than a line get a textarea.
_TEXTAREA_OVER = 200
_WIDGET_OF_FORMAT: dict[str, Widget] = {
    "email": "email",
    "date": "date",
    "date-time": "datetime-local",
}


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _html_id(name: str) -> str:
    return "field-" + name.replace(".", "-").replace("_", "-")


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: Widget
    required: bool = False
    options: tuple[str, ...] = ()
    hint: str = ""
    placeholder: str = ""
    default: str = ""
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None

    @property
    def id(self) -> str:
        return _html_id(self.name)


# One line under each built-in type's name, saying what a job of it does.
TYPE_BLURBS: Mapping[str, str] = {
    JobType.EMAIL: "Send an e-mail through SMTP (or the outbox).",
    JobType.REPORT: "Build a CSV or PDF report of the jobs data.",
    JobType.NOTIFICATION: "Push, text or e-mail a user.",
}

# The fields every job has, whatever its type (the API's defaults, shown as such).
JOB_FIELDS = (
    FormField(
        "priority",
        "Priority",
        "radio",
        options=tuple(str(priority) for priority in PRIORITIES),
        hint=f"{MAX_PRIORITY} is the most urgent: runners take higher priorities first.",
        default=str(DEFAULT_PRIORITY),
    ),
    FormField(
        "max_attempts",
        "Attempts",
        "number",
        hint="How many times a runner may try before the job fails"
        f" ({MIN_ATTEMPTS}–{MAX_ATTEMPTS}).",
        default=str(DEFAULT_MAX_ATTEMPTS),
        minimum=MIN_ATTEMPTS,
        maximum=MAX_ATTEMPTS,
    ),
    FormField(
        "scheduled_for",
        "Run after",
        "datetime-local",
        hint="UTC. Leave empty to run as soon as a runner is free.",
    ),
)


@dataclass(frozen=True)
class FieldGroup:
    """A nested object (a report's date range): one fieldset, errors about the whole of it."""

    name: str
    label: str
    fields: tuple[FormField, ...]

    @property
    def id(self) -> str:
        return _html_id(self.name)


def _label(key: str) -> str:
    """ "report_type" reads "Report type", "user_id" reads "User ID"."""
    text = " ".join("ID" if word == "id" else word for word in key.split("_"))
    return text[:1].upper() + text[1:]


def _resolve(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    if "$ref" in prop:
        referenced: Mapping[str, Any] = defs[prop["$ref"].rsplit("/", 1)[-1]]
        return referenced
    # An optional value is `anyOf: [{…}, {"type": "null"}]`: the form shows the non-null one.
    options = [option for option in prop.get("anyOf", []) if option.get("type") != "null"]
    return _resolve(options[0], defs) if options else prop


def _widget(prop: Mapping[str, Any]) -> Widget:
    if "enum" in prop:
        return "select"
    if prop.get("format") in _WIDGET_OF_FORMAT:
        return _WIDGET_OF_FORMAT[prop["format"]]
    if prop.get("type") in ("integer", "number"):
        return "number"
    if prop.get("maxLength", 0) > _TEXTAREA_OVER:
        return "textarea"
    return "text"


def _fields_of(
    schema: Mapping[str, Any], prefix: str, defs: Mapping[str, Any]
) -> Iterator[FormField | FieldGroup]:
    required = set(schema.get("required", ()))
    for key, raw in schema.get("properties", {}).items():
        prop, name = _resolve(raw, defs), f"{prefix}.{key}"
        if prop.get("type") == "object":
            nested = tuple(f for f in _fields_of(prop, name, defs) if isinstance(f, FormField))
            yield FieldGroup(name=name, label=_label(key), fields=nested)
            continue
        examples = prop.get("examples") or [None]
        yield FormField(
            name=name,
            label=_label(key),
            widget=_widget(prop),
            required=key in required,
            options=tuple(str(option) for option in prop.get("enum", ())),
            hint=prop.get("description", ""),
            placeholder=f"e.g. {examples[0]}" if examples[0] is not None else "",
            default=str(prop.get("default", "")),
            max_length=prop.get("maxLength"),
        )


def payload_fields(schema: Mapping[str, Any]) -> list[FormField | FieldGroup]:
    """The inputs for a payload, in the schema's order."""
    return list(_fields_of(schema, "payload", schema.get("$defs", {})))


def _leaves(fields: list[FormField | FieldGroup]) -> Iterator[FormField]:
    for item in fields:
        yield from item.fields if isinstance(item, FieldGroup) else (item,)


def job_request(
    job_type: str, fields: list[FormField | FieldGroup], form: Mapping[str, str]
) -> dict[str, Any]:
    """The POST /jobs body. Blank inputs are left out, so the API names them as required;
    numbers stay strings because the API reads "3" as 3 and reports a bad value itself."""
    body: dict[str, Any] = {"type": job_type, "payload": {}}
    for leaf in [*JOB_FIELDS, *_leaves(fields)]:
        value = form.get(leaf.name, "")
        if not value.strip():
            continue
        *parents, last = leaf.name.split(".")
        target = body
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return body


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    text = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def field_errors(job_type: str, errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """{field name: message} from the API's 422 detail (its first message per field)."""
    placed: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        loc = loc[1:] if loc[:1] == ["body"] else loc
        loc = loc[1:] if loc[:1] == [job_type] else loc  # the union's tag, not a field
        placed.setdefault(".".join(loc) or "form", _message(error))
    return placed


@dataclass
class JobForm:
    """Everything the create form shows: the type's fields, what was typed, what was wrong."""

    job_type: str
    types: list[str]
    fields: list[FormField | FieldGroup]
    values: Mapping[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Sent as Idempotency-Key: submitting the same form twice creates one job.
    idempotency_key: str = field(default_factory=new_idempotency_key)

    def label_of(self, name: str) -> str:
        """What the error summary calls a field: its label (a date range's "Date range end")."""
        for item in [*JOB_FIELDS, *self.fields]:
            if item.name == name:
                return item.label
            if isinstance(item, FieldGroup):
                for leaf in item.fields:
                    if leaf.name == name:
                        return f"{item.label} {leaf.label.lower()}"
        return _label(name.rsplit(".", 1)[-1])

    def id_of(self, name: str) -> str:
        return _html_id(name)

    @staticmethod
    def blurb(job_type: str) -> str:
        return TYPE_BLURBS.get(job_type, "")
