"""One form builder for every job type: a custom type's JSON Schema becomes inputs, and what
is typed into them becomes the JSON payload the schema describes."""

from typing import Any

from frontend.job_form import JobForm, field_errors, job_request, payload_fields
from frontend.schema_form import FieldGroup, FormField, FormItem, fields_for, leaves

RESIZE_IMAGE: dict[str, Any] = {
    "type": "object",
    "required": ["url", "width", "format"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "maxLength": 2000, "description": "Where the image is"},
        "caption": {"type": "string", "maxLength": 80},
        "width": {"type": "integer", "minimum": 1, "maximum": 10000},
        "quality": {"type": "number", "default": 0.8},
        "format": {"enum": ["png", "jpeg", "webp"]},
        "sharpen": {"type": "boolean"},
        "taken_on": {"type": "string", "format": "date"},
        "not_before": {"type": "string", "format": "date-time"},
        "crop": {
            "type": "object",
            "required": ["x"],
            "properties": {
                "x": {"type": "integer"},
                "origin": {"type": "object", "properties": {"corner": {"enum": [1, 2, 3, 4]}}},
            },
        },
        "tags": {"type": "array", "items": {"type": "string"}},
        "owner": {"$ref": "#/$defs/owner"},
    },
    "$defs": {"owner": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
}


def by_name(items: list[FormItem]) -> dict[str, FormField]:
    return {leaf.name: leaf for leaf in leaves(items)}


def test_each_kind_of_property_gets_its_input() -> None:
    fields = by_name(payload_fields(RESIZE_IMAGE))

    assert {name: (f.widget, f.kind) for name, f in fields.items()} == {
        "payload.url": ("textarea", "string"),
        "payload.caption": ("text", "string"),
        "payload.width": ("number", "integer"),
        "payload.quality": ("number", "number"),
        "payload.format": ("select", "string"),
        "payload.sharpen": ("checkbox", "boolean"),
        "payload.taken_on": ("date", "string"),
        "payload.not_before": ("datetime-local", "date-time"),
        "payload.crop.x": ("number", "integer"),
        "payload.crop.origin.corner": ("select", "json"),
        "payload.tags": ("json", "json"),
        "payload.owner": ("text", "string"),
    }
    assert fields["payload.url"].required and not fields["payload.caption"].required
    assert fields["payload.url"].hint == "Where the image is"
    assert (fields["payload.width"].minimum, fields["payload.width"].maximum) == (1, 10000)
    assert fields["payload.width"].step == "1" and fields["payload.quality"].step == "any"
    assert fields["payload.quality"].default == "0.8"
    assert fields["payload.format"].options == ("png", "jpeg", "webp")
    assert fields["payload.crop.origin.corner"].options == ("1", "2", "3", "4")


def test_nested_objects_are_fieldsets_within_fieldsets() -> None:
    crop = next(item for item in payload_fields(RESIZE_IMAGE) if item.name == "payload.crop")

    assert isinstance(crop, FieldGroup) and crop.label == "Crop" and not crop.required
    origin = crop.fields[1]
    assert isinstance(origin, FieldGroup) and origin.name == "payload.crop.origin"


def test_what_a_form_cannot_show_is_a_json_field_not_an_error() -> None:
    cyclic = {"properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"$ref": "#/$defs/a"}}}
    dotted = {"type": "object", "properties": {"a.b": {"type": "string"}}}
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(10):
        deep = {"type": "object", "properties": {"inner": deep}}

    assert [f.widget for f in leaves(fields_for(cyclic, "payload"))] == ["json"]
    assert [(f.name, f.widget) for f in leaves(fields_for(dotted, "payload"))] == [
        ("payload", "json")
    ]
    assert [(f.name, f.widget) for f in leaves(fields_for({}, "payload"))] == [("payload", "json")]
    deepest = list(leaves(fields_for(deep, "payload")))
    assert len(deepest) == 1 and deepest[0].widget == "json"
    unknown_ref = {"properties": {"a": {"$ref": "#/$defs/missing"}, "b": {"enum": "x"}}}
    assert [f.widget for f in leaves(fields_for(unknown_ref, "payload"))] == ["json", "json"]


def test_typed_values_become_json_values() -> None:
    form = {
        "type": "resize_image",
        "payload.url": "https://example.com/cat.png",
        "payload.caption": "",
        "payload.width": "640",
        "payload.quality": "0.5",
        "payload.format": "webp",
        "payload.sharpen": "on",
        "payload.not_before": "2026-11-01T09:30",
        "payload.crop.x": "12",
        "payload.crop.origin.corner": "3",
        "payload.tags": '["cats", "small"]',
        "priority": "5",
        "concurrency_key": "customer-42",
    }

    body, problems = job_request("resize_image", payload_fields(RESIZE_IMAGE), form)

    assert problems == {}
    assert body == {
        "type": "resize_image",
        "priority": 5,
        "concurrency_key": "customer-42",
        "payload": {
            "url": "https://example.com/cat.png",
            "width": 640,
            "quality": 0.5,
            "format": "webp",
            "sharpen": True,
            "not_before": "2026-11-01T09:30:00+00:00",
            "crop": {"x": 12, "origin": {"corner": 3}},
            "tags": ["cats", "small"],
        },
    }


def test_an_unticked_box_is_false_only_when_required() -> None:
    schema = {
        "type": "object",
        "required": ["notify"],
        "properties": {"notify": {"type": "boolean"}, "dry_run": {"type": "boolean"}},
    }

    body, _ = job_request("t", payload_fields(schema), {})

    assert body["payload"] == {"notify": False}


def test_values_that_cannot_be_read_are_named_and_still_sent() -> None:
    form = {
        "payload.width": "wide",
        "payload.quality": "nan",
        "payload.crop.x": "1.5",
        "payload.tags": "[cats",
    }

    body, problems = job_request("resize_image", payload_fields(RESIZE_IMAGE), form)

    assert problems == {
        "payload.width": "Enter a whole number.",
        "payload.quality": "Enter a finite number.",
        "payload.crop.x": "Enter a whole number.",
        "payload.tags": 'Enter valid JSON, e.g. ["a", "b"] or {"key": 1}.',
    }
    assert body["payload"]["width"] == "wide"  # the API names the rest of what is wrong


def test_schema_errors_find_their_field() -> None:
    form = JobForm("resize_image", ["resize_image"], payload_fields(RESIZE_IMAGE))
    errors = [
        {"loc": ["body", "payload", "width"], "msg": "0 is less than the minimum of 1"},
        {"loc": ["body", "payload", "tags", 1], "msg": '5 is not of type "string"'},
        {"loc": ["body", "payload", "crop"], "msg": '"x" is a required property'},
        {"loc": ["body", "payload"], "msg": '"url" is a required property'},
        {"loc": ["body", "concurrency_key"], "msg": "String should have at most 200 characters"},
    ]

    assert field_errors("resize_image", errors, form.names) == {
        "payload.width": "0 is less than the minimum of 1.",
        "payload.tags": '5 is not of type "string".',
        "payload.crop.x": "This field is required.",
        "payload.url": "This field is required.",
        "concurrency_key": "String should have at most 200 characters.",
    }
    assert form.label_of("payload.crop.origin.corner") == "Crop origin corner"
