"""Hostile schemas every importer must refuse (reused by the app's admin import tests).

``HOSTILE_SCHEMAS``: (name, schema) pairs that ``compile_form`` refuses with a SchemaError in
well under a second. ``ACCEPTED_TRICKY_SCHEMAS``: look dangerous but are safe and accepted.
"""

from __future__ import annotations

from typing import Any


def _obj(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **extra}


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": 5}
    for _ in range(levels):
        schema = _obj({"n": schema})
    return schema


HOSTILE_SCHEMAS: list[tuple[str, dict[str, Any]]] = [
    ("redos_without_maxlength", _obj({"a": {"type": "string", "pattern": "^(a+)+$"}})),
    ("remote_ref", _obj({"a": {"$ref": "https://evil.example/schema.json"}})),
    ("file_ref", _obj({"a": {"$ref": "file:///etc/passwd"}})),
    (
        "ref_cycle",
        {
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/x"}},
            "$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"$ref": "#/$defs/x"}},
        },
    ),
    (
        "ref_cycle_through_object",
        {
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/node"}},
            "$defs": {"node": _obj({"child": {"$ref": "#/$defs/node"}})},
        },
    ),
    ("nesting_60_levels", _nested(60)),
    ("objects_5_levels", _nested(5)),
    ("unknown_format", _obj({"a": {"type": "string", "format": "credit-card"}})),
    (
        "three_megabytes",
        _obj(
            {
                f"f{i}": {"type": "string", "maxLength": 10, "description": "x" * 3000}
                for i in range(1000)
            }
        ),
    ),
    (
        "invalid_regex_lookbehind",
        _obj({"a": {"type": "string", "maxLength": 9, "pattern": "(?<=a)b"}}),
    ),
    ("invalid_regex_paren", _obj({"a": {"type": "string", "maxLength": 9, "pattern": "("}})),
    ("pattern_too_long", _obj({"a": {"type": "string", "maxLength": 9, "pattern": "a" * 600}})),
    ("non_object_root", {"type": "string", "maxLength": 5}),
    ("array_root", {"type": "array", "items": {"enum": ["a"]}}),
    ("too_many_properties", _obj({f"f{i}": {"type": "integer"} for i in range(250)})),
    (
        "unsupported_keyword",
        _obj({"a": {"type": "integer"}}, patternProperties={"^x": {"type": "integer"}}),
    ),
    ("additional_properties_true", _obj({"a": {"type": "integer"}}, additionalProperties=True)),
    ("type_list", _obj({"a": {"type": ["string", "null"], "maxLength": 3}})),
    ("meta_schema_violation", _obj({"a": {"type": "string", "maxLength": -1}})),
    (
        "too_many_schema_objects",
        _obj(
            {"a": {"type": "integer"}},
            allOf=[{"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["a"]}}] * 2000,
        ),
    ),
    (
        "unused_definition_with_bad_pattern",
        _obj(
            {"a": {"type": "integer"}},
            **{"$defs": {"junk": {"type": "string", "maxLength": 3, "pattern": "(?<=x)"}}},
        ),
    ),
    ("too_many_options", _obj({"a": {"enum": list(range(5000))}})),
    ("unknown_local_ref", _obj({"a": {"$ref": "#/definitions/a"}})),
    (
        "draft07_dependencies_unknown_field",
        _obj({"a": {"type": "integer"}}, dependencies={"a": ["nope"]}),
    ),
    ("lone_surrogate", _obj({"a": {"type": "string", "maxLength": 3, "title": "\ud800"}})),
]

ACCEPTED_TRICKY_SCHEMAS: list[tuple[str, dict[str, Any]]] = [
    (
        "redos_with_maxlength",
        _obj({"a": {"type": "string", "pattern": "^(a+)+$", "maxLength": 100}}),
    ),
    (
        "script_title",
        _obj(
            {
                "a": {
                    "type": "string",
                    "maxLength": 5,
                    "title": "<script>alert(1)</script>",
                    "description": "<img src=x onerror=alert(1)>",
                }
            },
            title="<script>alert(1)</script>",
        ),
    ),
]
