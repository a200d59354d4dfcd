"""Untrusted schemas: every hostile one refused fast, with a pointer and a clear message."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from forms_engine import SchemaError, compile_form

sys.path.insert(0, str(Path(__file__).parent))
from hostile import ACCEPTED_TRICKY_SCHEMAS, HOSTILE_SCHEMAS  # noqa: E402

EXPECTED = {
    "redos_without_maxlength": ("/properties/a", "maxLength"),
    "remote_ref": ("/properties/a/$ref", "remote $ref"),
    "file_ref": ("/properties/a/$ref", "file $ref"),
    "ref_cycle": ("/$defs/", "cycle"),
    "ref_cycle_through_object": ("/$defs/node", "cycle"),
    "nesting_60_levels": ("/properties/n", "nested deeper than 32"),
    "objects_5_levels": ("/properties/n", "nested more than 3 levels"),
    "unknown_format": ("/properties/a/format", "unknown format 'credit-card'"),
    "three_megabytes": ("", "256 KB"),
    "invalid_regex_lookbehind": ("/properties/a/pattern", "RE2"),
    "invalid_regex_paren": ("/properties/a/pattern", "RE2"),
    "pattern_too_long": ("/properties/a/pattern", "longer than 512"),
    "non_object_root": ("/type", "root must be"),
    "array_root": ("/type", "root must be"),
    "too_many_properties": ("/properties", "more than 200 fields"),
    "unsupported_keyword": ("/patternProperties", "unsupported keyword"),
    "additional_properties_true": ("/additionalProperties", "only be false"),
    "type_list": ("/properties/a/type", "one type"),
    "meta_schema_violation": ("/properties/a/maxLength", "2020-12"),
    "unknown_local_ref": ("/properties/a/$ref", "#/$defs/<name>"),
    "too_many_schema_objects": ("", "more than 5000 JSON objects"),
    "unused_definition_with_bad_pattern": ("/$defs/junk/pattern", "RE2"),
    "too_many_options": ("/properties/a/enum", "more than 500 options"),
    "draft07_dependencies_unknown_field": ("/dependencies/a/0", "unknown field"),
    "lone_surrogate": ("/properties/a/title", "valid Unicode"),
}


def test_corpus_is_covered() -> None:
    assert {name for name, _ in HOSTILE_SCHEMAS} == set(EXPECTED)


@pytest.mark.parametrize(("name", "schema"), HOSTILE_SCHEMAS, ids=[n for n, _ in HOSTILE_SCHEMAS])
def test_hostile_schema_refused_fast(name: str, schema: dict[str, object]) -> None:
    start = time.perf_counter()
    with pytest.raises(SchemaError) as info:
        compile_form(schema)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"{name} took {elapsed:.3f}s"
    pointer, fragment = EXPECTED[name]
    problems = info.value.problems
    assert problems
    assert any(p.pointer.startswith(pointer) and fragment in p.message for p in problems), problems


def test_every_problem_listed_at_once() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "pattern": "("},
            "b": {"type": "string", "format": "nope", "maxLength": 3},
            "c": {"$ref": "https://x.example/s.json"},
        },
        "additionalProperties": True,
    }
    with pytest.raises(SchemaError) as info:
        compile_form(schema)
    pointers = {p.pointer for p in info.value.problems}
    assert {
        "/properties/a",
        "/properties/a/pattern",
        "/properties/b/format",
        "/properties/c/$ref",
        "/additionalProperties",
    } <= pointers


def test_ui_hints_are_validated() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}}}
    ui = {
        "order": ["zz"],
        "fields": {"nope": {}, "a": {"widget": "checkboxes", "colour": "red"}},
        "sections": [{"title": "S", "fields": ["b"]}],
        "theme": "dark",
    }
    with pytest.raises(SchemaError) as info:
        compile_form(schema, ui)
    pointers = {p.pointer for p in info.value.problems}
    assert {
        "/ui/order/0",
        "/ui/fields/nope",
        "/ui/fields/a/widget",
        "/ui/fields/a/colour",
        "/ui/sections/0/fields/0",
        "/ui/theme",
    } <= pointers


def test_redos_pattern_with_maxlength_is_safe_under_re2() -> None:
    form = compile_form(dict(ACCEPTED_TRICKY_SCHEMAS)["redos_with_maxlength"])
    start = time.perf_counter()
    errors = form.validate({"a": "a" * 60 + "b"})
    assert time.perf_counter() - start < 0.5
    assert list(errors) == ["/a"]
    assert form.validate({"a": "a" * 60}) == {}


def test_script_title_is_accepted_and_escaped() -> None:
    form = compile_form(dict(ACCEPTED_TRICKY_SCHEMAS)["script_title"])
    html = str(form.render())
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    errors = {"/a": ["<b>bad</b>"]}
    html = str(form.render({"a": '"><script>x</script>'}, errors))
    assert "<script>" not in html and "<b>" not in html
    assert "&#34;&gt;&lt;script&gt;" in html


def test_big_but_allowed_schema_compiles_quickly() -> None:
    props = {
        f"f{i}": {"type": "string", "maxLength": 10, "description": "d" * 1000, "title": "t"}
        for i in range(200)
    }
    start = time.perf_counter()
    compile_form({"type": "object", "properties": props})
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("schema", "ui", "pointer", "fragment"),
    [
        (
            {"type": "object", "properties": {"a": {"type": "integer"}}},
            {"fields": {"a": {"widget": "textarea"}}},
            "/ui/fields/a/widget",
            "does not fit",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}}},
            {"fields": {"a": {"widget": "select"}}},
            "/ui/fields/a/widget",
            "needs enum",
        ),
        (
            {"type": "object", "properties": {"a": {"enum": ["x"]}}},
            {"fields": {"a": {"options": {"y": "Y"}}}},
            "/ui/fields/a/options/y",
            "unknown option",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "integer"}}},
            {"fields": {"a": {"errors": {"colour": "x"}}}},
            "/ui/fields/a/errors/colour",
            "unknown error keyword",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "integer"}}},
            {"fields": {"a": {"label": 5}}},
            "/ui/fields/a/label",
            "locale",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "if": {"properties": {"a": {"minimum": 3}}},
                "then": {"required": ["a"]},
            },
            None,
            "/if/properties/a",
            "const",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "dependentRequired": {"a": ["zz"]},
            },
            None,
            "/dependentRequired/a/0",
            "unknown field",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "if": {"properties": {"a": {"const": 1}}, "required": ["a"]},
                "then": {"properties": {"a": {"type": "string"}}},
            },
            None,
            "/then/properties/a/type",
            "cannot change the type",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "enum": ["", "x"]}}},
            None,
            "/properties/a/enum/0",
            "empty string",
        ),
        (
            {"type": "object", "properties": {"a b": {"type": "integer"}}},
            None,
            "/properties/a b",
            "field names",
        ),
        (
            {
                "type": "object",
                "properties": {
                    "f": {"type": "array", "items": {"type": "string"}, "x-file": {"maxSize": -1}}
                },
            },
            None,
            "/properties/f",
            "maxItems",
        ),
        (
            {
                "type": "object",
                "properties": {
                    "r": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"x": {"type": "integer"}}},
                    }
                },
            },
            None,
            "/properties/r",
            "maxItems",
        ),
    ],
)
def test_subset_problems(
    schema: dict[str, object], ui: dict[str, object] | None, pointer: str, fragment: str
) -> None:
    with pytest.raises(SchemaError) as info:
        compile_form(schema, ui)
    assert any(p.pointer == pointer and fragment in p.message for p in info.value.problems), (
        info.value.problems
    )


def test_required_conditional_field_from_another_branch_refused() -> None:
    schema = {
        "type": "object",
        "properties": {"k": {"enum": ["a", "b"]}},
        "if": {"properties": {"k": {"const": "a"}}, "required": ["k"]},
        "then": {"required": ["x"]},
        "else": {"properties": {"x": {"type": "integer"}}},
        "dependentRequired": {"k": ["x"]},
    }
    with pytest.raises(SchemaError) as info:
        compile_form(schema)
    pointers = {p.pointer for p in info.value.problems}
    assert {"/then/required/0", "/dependentRequired/k/0"} <= pointers


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"type": "string", "maxLength": -1}}},
        {"type": "objekt", "properties": {"a": {"required": 5, "enum": 3, "items": 5}}},
        {"type": "object", "$defs": {"x": {"minimum": "1"}}, "allOf": [{"if": 3}]},
        {"$id": "#frag", "type": "object", "dependentSchemas": {"a": 1}, "$ref": 3},
        {"type": "object", "properties": {"a": {"$dynamicRef": 5, "patternProperties": 1}}},
    ],
)
def test_flattened_meta_schema_matches_the_official_one(schema: dict[str, object]) -> None:
    from jsonschema import Draft202012Validator

    from forms_engine.compiler import _META

    official = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    expected = {(tuple(e.absolute_path), e.message) for e in official.iter_errors(schema)}
    got = {(tuple(e.absolute_path), e.message) for e in _META.iter_errors(schema)}
    assert expected and got == expected
