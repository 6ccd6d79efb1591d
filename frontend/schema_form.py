"""A form from a JSON Schema, and the JSON value back from what was submitted.

One builder for every job type, built-in or custom: each schema property becomes an input
(text, textarea, number, select, checkbox, date, date-time) or, for a nested object, a
fieldset of them; what no input fits (arrays, free-form values) is a JSON textarea. A
field's name is its dotted path ("payload.size.width"), so values and the API's errors find
their field without a mapping table.

The schemas come from the API, which validated them, but the builder still never trusts
one: an unknown `$ref`, a cycle, a key with a dot or a very deep object all fall back to a
JSON field instead of failing the page.
"""

import json
import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Widget = Literal[
    "text",
    "email",
    "textarea",
    "select",
    "radio",
    "date",
    "datetime-local",
    "number",
    "checkbox",
    "json",
]
# How a submitted string becomes a JSON value.
ValueKind = Literal["string", "integer", "number", "boolean", "date-time", "json"]

# Strings allowed to be longer than a line get a textarea.
TEXTAREA_OVER = 200
# Nested objects deeper than this are one JSON field: a form is not a tree editor.
MAX_FIELDSET_DEPTH = 4
# `$ref`s followed in a row before giving up (a cycle of references).
_MAX_REF_HOPS = 8
_WIDGET_OF_FORMAT: dict[str, Widget] = {
    "email": "email",
    "date": "date",
    "date-time": "datetime-local",
}


def html_id(name: str) -> str:
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
    minimum: float | None = None
    maximum: float | None = None
    kind: ValueKind = "string"
    # Told apart from the same field in another form on the page (one per table row).
    scope: str = ""

    @property
    def id(self) -> str:
        return html_id(f"{self.scope}.{self.name}" if self.scope else self.name)

    @property
    def step(self) -> str:
        """A number input's step: whole numbers for integers, anything for numbers."""
        return "1" if self.kind == "integer" else "any"


@dataclass(frozen=True)
class FieldGroup:
    """A nested object: one fieldset, errors about the whole of it shown on it."""

    name: str
    label: str
    fields: tuple["FormField | FieldGroup", ...]
    required: bool = False

    @property
    def id(self) -> str:
        return html_id(self.name)


FormItem = FormField | FieldGroup


def label_of_key(key: str) -> str:
    """ "report_type" reads "Report type", "user_id" reads "User ID"."""
    text = " ".join("ID" if word == "id" else word for word in key.split("_"))
    return text[:1].upper() + text[1:]


def _resolve(prop: Any, defs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema a property stands for: its `$ref` followed, an optional value's non-null
    choice taken. {} (any value) when it cannot be told."""
    for _ in range(_MAX_REF_HOPS):
        if not isinstance(prop, Mapping):
            return {}
        if isinstance(prop.get("$ref"), str):
            prop = defs.get(prop["$ref"].rsplit("/", 1)[-1])
            continue
        # An optional value is `anyOf: [{…}, {"type": "null"}]`: the form shows the other one.
        choices = prop.get("anyOf") or prop.get("oneOf")
        if isinstance(choices, list):
            others = [
                c for c in choices if not (isinstance(c, Mapping) and c.get("type") == "null")
            ]
            if len(others) == 1:
                prop = others[0]
                continue
        return prop
    return {}


def _json_type(prop: Mapping[str, Any]) -> str | None:
    """The one JSON type a property asks for ("integer"), None for several or any."""
    declared = prop.get("type")
    if isinstance(declared, list):
        others = [t for t in declared if t != "null"]
        declared = others[0] if len(others) == 1 else None
    return declared if isinstance(declared, str) else None


def _is_fieldset(prop: Mapping[str, Any], depth: int) -> bool:
    """An object the form can show as a fieldset: known keys, none with a dot in it."""
    properties = prop.get("properties")
    return (
        _json_type(prop) in ("object", None)
        and depth < MAX_FIELDSET_DEPTH
        and isinstance(properties, Mapping)
        and bool(properties)
        and all(key and "." not in key for key in properties)
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _number(value: Any) -> float | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return value if is_number else None


def _leaf(key: str, name: str, prop: Mapping[str, Any], required: bool) -> FormField:
    json_type = _json_type(prop)
    widget: Widget = "text"
    kind: ValueKind = "string"
    options: tuple[str, ...] = ()
    enum = prop.get("enum")
    if isinstance(enum, list) and enum:
        widget, options = "select", tuple(_text(option) for option in enum)
        # Options that are not all strings are read back as JSON ("3" → 3, "true" → true).
        kind = "string" if all(isinstance(option, str) for option in enum) else "json"
    elif json_type == "boolean":
        widget, kind = "checkbox", "boolean"
    elif json_type in ("integer", "number"):
        widget, kind = "number", "integer" if json_type == "integer" else "number"
    elif json_type == "string":
        format_widget = _WIDGET_OF_FORMAT.get(str(prop.get("format")))
        max_length = prop.get("maxLength")
        if format_widget is not None:
            widget = format_widget
            kind = "date-time" if format_widget == "datetime-local" else "string"
        elif isinstance(max_length, int) and max_length > TEXTAREA_OVER:
            widget = "textarea"
    else:
        widget, kind = "json", "json"  # arrays, objects the form cannot nest, any value
    examples = prop.get("examples")
    example = examples[0] if isinstance(examples, list) and examples else None
    default = prop.get("default")
    max_length = prop.get("maxLength")
    return FormField(
        name=name,
        label=label_of_key(key),
        widget=widget,
        required=required,
        options=options,
        hint=_text(prop.get("description", "")),
        placeholder=f"e.g. {_text(example)}" if example is not None else "",
        default="" if default is None else _default_text(default, kind),
        max_length=max_length if isinstance(max_length, int) and kind == "string" else None,
        minimum=_number(prop.get("minimum")),
        maximum=_number(prop.get("maximum")),
        kind=kind,
    )


def _default_text(default: Any, kind: ValueKind) -> str:
    if kind == "boolean":
        return "true" if default is True else ""
    return _text(default)


def _fields_of(
    schema: Mapping[str, Any], prefix: str, defs: Mapping[str, Any], depth: int
) -> Iterator[FormItem]:
    required = schema.get("required")
    required_keys = set(required) if isinstance(required, list) else set()
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    for key, raw in properties.items():
        prop, name = _resolve(raw, defs), f"{prefix}.{key}"
        if _is_fieldset(prop, depth + 1):
            nested = tuple(_fields_of(prop, name, defs, depth + 1))
            yield FieldGroup(name, label_of_key(key), nested, required=key in required_keys)
        else:
            yield _leaf(key, name, prop, key in required_keys)


def fields_for(schema: Mapping[str, Any], prefix: str) -> list[FormItem]:
    """The inputs for a value of `schema` named under `prefix`, in the schema's order;
    one JSON field when its top level is not an object of known keys."""
    defs = schema.get("$defs") or schema.get("definitions") or {}
    defs = defs if isinstance(defs, Mapping) else {}
    if not _is_fieldset(schema, 0):
        return [_leaf(prefix, prefix, schema, required=True)]
    return list(_fields_of(schema, prefix, defs, 0))


def leaves(items: "list[FormItem] | tuple[FormItem, ...]") -> Iterator[FormField]:
    for item in items:
        if isinstance(item, FieldGroup):
            yield from leaves(item.fields)
        else:
            yield item


def find(items: "list[FormItem] | tuple[FormItem, ...]", name: str) -> list[FormItem]:
    """The path of items down to the one named `name` (the groups, then it), else []."""
    for item in items:
        if item.name == name:
            return [item]
        if (
            isinstance(item, FieldGroup)
            and name.startswith(item.name + ".")
            and (path := find(item.fields, name))
        ):
            return [item, *path]
    return []


class BadValue(ValueError):
    """What was typed cannot be the field's kind of value; the message says what to type."""


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)  # "3.0" is a whole number in JSON Schema too
        if not number.is_integer():
            raise BadValue("Enter a whole number.") from None
        return int(number)


def _real_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not math.isfinite(number):
            raise BadValue("Enter a finite number.") from None
        return number


def _date_time(text: str) -> str:
    """A datetime-local input's "2026-11-01T09:30" read as UTC, as RFC 3339 wants it."""
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def value_of(field: FormField, text: str) -> Any:
    """The JSON value for what was typed into `field`; BadValue when it cannot be one."""
    try:
        match field.kind:
            case "integer":
                return _whole_number(text.strip())
            case "number":
                return _real_number(text.strip())
            case "boolean":
                return text in ("on", "true")
            case "date-time":
                return _date_time(text.strip())
            case "json":
                return json.loads(text)
            case _:
                return text
    except BadValue:
        raise
    except (ValueError, RecursionError):
        raise BadValue(_EXPECTED[field.kind]) from None


_EXPECTED: dict[ValueKind, str] = {
    "integer": "Enter a whole number.",
    "number": "Enter a number.",
    "boolean": "Tick the box or leave it empty.",
    "date-time": "Enter a date and time.",
    "json": 'Enter valid JSON, e.g. ["a", "b"] or {"key": 1}.',
    "string": "Enter text.",
}


def values_from(
    fields: "list[FormItem] | tuple[FormItem, ...]", form: Mapping[str, str], into: dict[str, Any]
) -> dict[str, str]:
    """Sets the typed values into `into` by their dotted names; returns {name: problem} for
    values that cannot be read. Blank inputs are left out, so the API names what is
    required; an unticked checkbox is `false` only when the value is required."""
    problems: dict[str, str] = {}
    for leaf in leaves(fields):
        text = form.get(leaf.name, "")
        if leaf.kind == "boolean":
            if not text and not leaf.required:
                continue
        elif not text.strip():
            continue
        try:
            value = value_of(leaf, text)
        except BadValue as bad:
            problems[leaf.name] = str(bad)
            value = text  # sent as typed, so the API's answer covers the other fields too
        *parents, last = leaf.name.split(".")
        target = into
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return problems


def form_values(
    fields: "list[FormItem] | tuple[FormItem, ...]", body: Mapping[str, Any]
) -> dict[str, str]:
    """values_from() the other way: the inputs' text for a request body (an edit form shows
    what is stored)."""
    values: dict[str, str] = {}
    for leaf in leaves(fields):
        value: Any = body
        for key in leaf.name.split("."):
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is not None:
            values[leaf.name] = _default_text(value, leaf.kind)
    return values


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    text = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


# A JSON Schema validator names a missing property in its message, not in the path.
_MISSING_PROPERTY = re.compile(r"""^["'](?P<key>[^"']+)["'] is a required property$""")


def _place(loc: list[str], names: Collection[str]) -> str:
    """The field an error is about: the longest known name its path starts with (an
    array's item belongs to the array's field)."""
    for end in range(len(loc), 0, -1):
        name = ".".join(loc[:end])
        if name in names:
            return name
    return ".".join(loc) or "form"


def place_errors(
    errors: Sequence[Mapping[str, Any]], names: Collection[str], drop: Collection[str] = ()
) -> dict[str, str]:
    """{field name: message} from a FastAPI-style 422 detail, its first message per field.
    `drop`: leading parts of `loc` that name no field ("body", a union's tag), in order."""
    placed: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        for part in drop:  # in order, each at most once
            loc = loc[1:] if loc[:1] == [part] else loc
        message = _message(error)
        if missing := _MISSING_PROPERTY.match(str(error.get("msg", ""))):
            loc, message = [*loc, missing["key"]], "This field is required."
        placed.setdefault(_place(loc, names), message)
    return placed
