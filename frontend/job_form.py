"""The create form: fields built from a job type's JSON Schema (schema_form.py), the
request body built back from the submitted fields, and the API's 422 errors placed beside
the fields they concern.

A field's name is its dotted path in the request body ("payload.date_range.start"), so the
three directions need no mapping table.
"""

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from frontend.schema_form import (
    FieldGroup,
    FormField,
    FormItem,
    fields_for,
    find,
    html_id,
    label_of_key,
    place_errors,
    values_from,
)
from job_contract.bounds import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_PRIORITY,
    MAX_ATTEMPTS,
    MAX_CONCURRENCY_KEY_CHARS,
    MAX_PRIORITY,
    MIN_ATTEMPTS,
    PRIORITIES,
)
from job_contract.job_types import JobTypeInfo


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


# The fields every job has, whatever its type (the API's defaults, shown as such).
JOB_FIELDS = (
    FormField(
        "priority",
        "Priority",
        "radio",
        options=tuple(str(priority) for priority in PRIORITIES),
        hint=f"{MAX_PRIORITY} is the most urgent: runners take higher priorities first.",
        default=str(DEFAULT_PRIORITY),
        kind="integer",
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
        kind="integer",
    ),
    FormField(
        "scheduled_for",
        "Run after",
        "datetime-local",
        hint="UTC. Leave empty to run as soon as a runner is free.",
    ),
    FormField(
        "concurrency_key",
        "Concurrency key",
        "text",
        hint="Jobs of a type sharing a key obey its per-key limit (e.g. a customer's id).",
        max_length=MAX_CONCURRENCY_KEY_CHARS,
    ),
)


# A schedule's job has them all but "Run after": it is due when the schedule makes it.
SCHEDULED_JOB_FIELDS = tuple(item for item in JOB_FIELDS if item.name != "scheduled_for")


def payload_fields(schema: Mapping[str, Any]) -> list[FormItem]:
    """The inputs for a payload, in the schema's order."""
    return fields_for(schema, "payload")


def job_request(
    job_type: str,
    fields: list[FormItem],
    form: Mapping[str, str],
    job_fields: tuple[FormField, ...] = JOB_FIELDS,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The POST /jobs body, and {field: problem} for values that cannot be what their field
    asks (they are sent as typed, so the API still judges every other field)."""
    body: dict[str, Any] = {"type": job_type, "payload": {}}
    problems = values_from([*job_fields, *fields], form, body)
    return body, problems


def field_errors(
    job_type: str,
    errors: Sequence[Mapping[str, Any]],
    names: Collection[str] = (),
    within: tuple[str, ...] = (),
) -> dict[str, str]:
    """{field name: message} from the API's 422 detail (its first message per field);
    `within`: where the job sits in the request body (a schedule's is under "job")."""
    # The union's tag is no field.
    return place_errors(errors, names, drop=("body", *within, job_type))


@dataclass
class JobForm:
    """Everything the create form shows: the type's fields, what was typed, what was wrong."""

    job_type: str
    types: list[str]
    fields: list[FormItem]
    values: Mapping[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Sent as Idempotency-Key: submitting the same form twice creates one job.
    idempotency_key: str = field(default_factory=new_idempotency_key)
    # One line under each type's name, saying what a job of it does (its description).
    blurbs: Mapping[str, str] = field(default_factory=dict)
    # The fields every job has, as this form offers them; `extra_fields`: what the form asks
    # besides the job (a schedule's name, cron and zone).
    job_fields: tuple[FormField, ...] = JOB_FIELDS
    extra_fields: tuple[FormField, ...] = ()

    @property
    def names(self) -> set[str]:
        """Every field and fieldset the form has, by name."""
        return {item.name for item in self._all()}

    def _all(self) -> list[FormItem]:
        found: list[FormItem] = []
        pending: list[FormItem] = [*self.extra_fields, *self.job_fields, *self.fields]
        while pending:
            item = pending.pop()
            found.append(item)
            if isinstance(item, FieldGroup):
                pending.extend(item.fields)
        return found

    def label_of(self, name: str) -> str:
        """What the error summary calls a field: its label after its fieldsets' ("Date range
        end")."""
        path = find([*self.extra_fields, *self.job_fields, *self.fields], name)
        if not path:
            return label_of_key(name.rsplit(".", 1)[-1])
        first, *rest = [item.label for item in path]
        return " ".join([first, *(label.lower() for label in rest)])

    def id_of(self, name: str) -> str:
        return html_id(name)

    def blurb(self, job_type: str) -> str:
        return self.blurbs.get(job_type, "")

    @classmethod
    def for_type(cls, job_types: Sequence[JobTypeInfo], requested: str) -> "JobForm":
        """The form for the requested type, or the first of `job_types` if it is none of
        them (a stale link, a type deleted since)."""
        by_name = {job_type.name: job_type for job_type in job_types}
        chosen = by_name.get(requested) or job_types[0]
        return cls(
            job_type=chosen.name,
            types=list(by_name),
            fields=payload_fields(chosen.payload_schema),
            blurbs={name: job_type.description for name, job_type in by_name.items()},
        )
