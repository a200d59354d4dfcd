"""parse, validate and render never raise, whatever arrives from the network."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms_engine import compile_form

sys.path.insert(0, str(Path(__file__).parent))
from fe_schemas import SCHEMAS, UI  # noqa: E402

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
SETTINGS = settings(
    max_examples=int(os.environ.get("FE_EXAMPLES", "30")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _names(name: str) -> list[str]:
    form = compile_form(SCHEMAS[name], UI.get(name))
    out = []
    for field in form.describe():
        dotted = field.path.strip("/").replace("/", ".")
        for index in ("0", "1", "x"):
            out.append("cf-" + dotted.replace("*", index))
            out.append("cf-" + dotted.split(".*")[0] + f".{index}.__remove")
    return out


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_parse_validate_render_never_raise(name: str) -> None:
    form = compile_form(SCHEMAS[name], UI.get(name))
    names = _names(name)
    values = st.lists(
        st.sampled_from(["", "0", "1", "true", "x", "2024-01-01", "-3.5", "a@b.co"]), max_size=3
    )

    @SETTINGS
    @given(st.dictionaries(st.sampled_from(names), values, max_size=8))
    def run_form(data: dict[str, list[str]]) -> None:
        parsed = form.parse(data)
        errors = form.validate(parsed, "en")
        assert isinstance(errors, dict)
        form.render(parsed, errors)

    @SETTINGS
    @given(
        st.dictionaries(
            st.sampled_from([f.path.split("/")[1] for f in form.describe()]), JSON, max_size=5
        )
    )
    def run_json(instance: dict[str, Any]) -> None:
        errors = form.validate(instance)
        assert all(isinstance(m, str) for msgs in errors.values() for m in msgs)
        form.render(instance, errors)
        form.to_form_data(instance)
        form.normalize(instance)

    run_form()
    run_json()


def _mutate(doc: Any, path: list[int], replacement: Any) -> Any:
    """Replace the node reached by following ``path`` (indices into dict items/lists)."""
    if not path:
        return replacement
    if isinstance(doc, dict) and doc:
        keys = list(doc)
        key = keys[path[0] % len(keys)]
        return {**doc, key: _mutate(doc[key], path[1:], replacement)}
    if isinstance(doc, list) and doc:
        i = path[0] % len(doc)
        return [*doc[:i], _mutate(doc[i], path[1:], replacement), *doc[i + 1 :]]
    return replacement


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_compile_never_crashes_on_mutated_schemas(name: str) -> None:
    from forms_engine import SchemaError

    @SETTINGS
    @given(
        st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=6),
        JSON,
        st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=4),
        JSON,
    )
    def run(path: list[int], value: Any, ui_path: list[int], ui_value: Any) -> None:
        schema = _mutate(SCHEMAS[name], path, value)
        ui = _mutate(UI.get(name), ui_path, ui_value) if name in UI else None
        try:
            form = compile_form(schema, ui if isinstance(ui, dict) else None)
        except SchemaError as exc:
            assert exc.problems
            assert all(isinstance(p.pointer, str) and p.message for p in exc.problems)
            return
        form.render()
        form.validate({})

    run()
