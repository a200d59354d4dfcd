"""Property test: parse(to_form_data(x)) == x and validate(x) == {} for valid canonical x."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from forms_engine import compile_form

sys.path.insert(0, str(Path(__file__).parent))
from fe_schemas import SCHEMAS, UI  # noqa: E402

PHONES = st.from_regex(r"\A\+?[0-9]{7,15}\Z")


def _strip_conditions(schema: Any) -> Any:
    """The generation schema: the engine's validation schema without condition blocks."""
    if isinstance(schema, dict):
        return {
            k: _strip_conditions(v)
            for k, v in schema.items()
            if k not in ("allOf", "if", "then", "else", "dependentRequired", "dependentSchemas")
        }
    if isinstance(schema, list):
        return [_strip_conditions(v) for v in schema]
    return schema


def _strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Objects are composed here (hypothesis-jsonschema's object generator is broken with
    this Hypothesis version); every leaf and enum array comes from ``from_schema``."""
    if schema.get("type") == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: _strategy(v) for k, v in props.items() if k in required},
            optional={k: _strategy(v) for k, v in props.items() if k not in required},
        )
    items = schema.get("items")
    if schema.get("type") == "array" and isinstance(items, dict) and items.get("type") == "object":
        return st.lists(
            _strategy(items),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems", 5),
        )
    return from_schema(schema, custom_formats={"phone": PHONES})


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_round_trip(name: str) -> None:
    form = compile_form(SCHEMAS[name], UI.get(name))
    strategy = _strategy(_strip_conditions(form.validation_schema))
    seen = {"valid": 0}

    @settings(
        max_examples=int(os.environ.get("FE_EXAMPLES", "50")),
        deadline=None,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
        database=None,
    )
    @given(strategy)
    def check(raw: dict[str, Any]) -> None:
        x = form.normalize(raw)
        assume(form.validate(x) == {})
        seen["valid"] += 1
        data = form.to_form_data(x)
        assert form.parse(data) == x
        assert form.validate(form.parse(data), "en") == {}

    check()
    assert seen["valid"] > 0
