"""Schema shapes from the JSON Schema Test Suite that fit a form: accepted, or refused clearly."""

from __future__ import annotations

from typing import Any

import pytest

from forms_engine import SchemaError, compile_form


def _form(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **extra}


def _keys(schema: dict[str, Any]) -> set[str]:
    with pytest.raises(SchemaError) as info:
        compile_form(schema)
    return {p.key for p in info.value.problems}


def test_a_type_list_of_one_type_is_that_type() -> None:
    form = compile_form(_form({"name": {"type": ["string"], "maxLength": 5}}))
    assert form.describe()[0].type == "string"
    assert form.validate({"name": "Ana"}) == {}
    assert form.validate({"name": 7}, "en") == {"/name": ["Must be text."]}
    assert form.validate({"name": "Ana María"}, "en")["/name"]


def test_a_false_property_is_left_out_with_a_warning() -> None:
    form = compile_form(_form({"name": {"type": "string", "maxLength": 5}, "secret": False}))
    assert [f.name for f in form.describe()] == ["name"]
    assert [(w.pointer, w.key) for w in form.warnings] == [
        ("/properties/secret", "warn_never_allowed")
    ]
    assert "nunca admite" in form.warnings[0].text("es")
    assert form.validate({"name": "Ana", "secret": 1}, "en")  # never allowed
    # required on a field that can never be given is a form nobody can submit
    assert "required_unknown" in _keys(
        _form({"secret": False, "a": {"type": "integer"}}, required=["secret"])
    )


@pytest.mark.parametrize(
    "pattern", [r"^\p{Letter}+$", r"^\p{L}+$", r"^[\p{gc=Letter}]+$", r"^\p{General_Category=L}+$"]
)
def test_unicode_property_names_in_patterns(pattern: str) -> None:
    form = compile_form(_form({"word": {"type": "string", "maxLength": 20, "pattern": pattern}}))
    assert form.validate({"word": "Ñandú"}) == {}
    assert form.validate({"word": "π"}) == {}
    assert form.validate({"word": "123"}, "en") == {"/word": ["Does not have the expected format."]}


def test_an_escaped_backslash_before_p_is_not_a_property() -> None:
    form = compile_form(_form({"w": {"type": "string", "maxLength": 20, "pattern": r"^\\p{x}$"}}))
    assert form.validate({"w": "\\p{x}"}) == {}
    assert form.validate({"w": "p"})


def test_unknown_property_names_stay_refused() -> None:
    assert "pattern_re2" in _keys(
        _form({"w": {"type": "string", "maxLength": 9, "pattern": r"\p{Nonsense}"}})
    )


def test_unique_items_on_a_repeatable_group() -> None:
    row = {"type": "object", "properties": {"code": {"type": "string", "maxLength": 9}}}
    form = compile_form(
        _form({"rows": {"type": "array", "items": row, "maxItems": 5, "uniqueItems": True}})
    )
    assert form.validate({"rows": [{"code": "a"}, {"code": "b"}]}) == {}
    assert "/rows" in form.validate({"rows": [{"code": "a"}, {"code": "a"}]})


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ({"type": "null"}, "type_null"),
        ({"const": None}, "option_null"),
        ({"enum": [6, None]}, "option_null"),
        ({"enum": [[False]]}, "option_kind"),
        ({"const": {"a": 1}}, "option_kind"),
        ({"enum": []}, "enum_empty"),
        ({"enum": [6, "six"]}, "no_type"),
        ({"type": ["string", "null"], "maxLength": 3}, "type_list"),
    ],
)
def test_what_no_input_can_give_is_refused_with_its_reason(field: dict[str, Any], key: str) -> None:
    assert key in _keys(_form({"value": field}))
