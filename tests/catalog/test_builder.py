"""The builder's field model turns into schemas the engine accepts, and back."""

from __future__ import annotations

import pytest

from forms_engine import compile_form
from servicedesk import demo
from servicedesk.catalog.builder import BuilderError, FieldSpec, from_schema, prepare, to_schema


@pytest.mark.parametrize("fields", [demo._soporte, demo._proyecto, demo._consulta])
def test_demo_forms_round_trip_and_compile(app, fields):
    schema, ui = to_schema(fields(), "T")
    form = compile_form(schema, ui)
    assert form.describe()
    assert to_schema(from_schema(schema, ui), "T") == (schema, ui)
    # What the builder page does to loaded fields (kind's properties, keys) changes nothing.
    assert to_schema(prepare(from_schema(schema, ui)), "T") == (schema, ui)


def test_every_kind_compiles(app):
    from servicedesk.catalog.builder import KINDS

    specs = []
    for kind in KINDS:
        spec = FieldSpec(key=f"f_{kind}", label=kind.title(), kind=kind)
        if kind in ("select", "radio", "checkboxes"):
            spec.options = [("a", "A"), ("b", "B")]
        specs.append(spec)
    specs.append(FieldSpec("inner", "Inner", "text", parent="f_group"))
    specs.append(FieldSpec("qty", "Qty", "integer", True, parent="f_repeat"))
    schema, ui = to_schema(specs)
    described = {f.path: f for f in compile_form(schema, ui).describe()}
    assert described["/f_file"].type == "file"
    assert described["/f_checkboxes"].widget == "checkboxes"
    assert described["/f_radio"].widget == "radio"
    assert described["/f_repeat/*/qty"].required
    assert to_schema(from_schema(schema, ui)) == (schema, ui)
    assert to_schema(prepare(from_schema(schema, ui))) == (schema, ui)


def test_condition_shows_and_requires(app):
    specs = [
        FieldSpec("tipo", "Tipo", "select", True, options=[("a", "A"), ("otro", "Otro")]),
        FieldSpec("cual", "¿Cuál?", "text", True, show_when="tipo", show_value="otro"),
    ]
    schema, ui = to_schema(specs)
    form = compile_form(schema, ui)
    assert form.validate({"tipo": "otro"}) == {"/cual": ["Este campo es obligatorio."]}
    assert form.validate({"tipo": "a", "cual": "x"}) == {}
    assert form.prune({"tipo": "a", "cual": "x"}) == {"tipo": "a"}


@pytest.mark.parametrize(
    ("specs", "where"),
    [
        ([FieldSpec("Bad Key", "x")], "0/key"),
        ([FieldSpec("a", "A"), FieldSpec("a", "B")], "1/key"),
        ([FieldSpec("c", "C", "select")], "0/options"),
        ([FieldSpec("x", "X", show_when="nope", show_value="1")], "0/show_when"),
        (
            [FieldSpec("t", "T", "text"), FieldSpec("x", "X", show_when="t", show_value="1")],
            "1/show_when",
        ),
        (
            [
                FieldSpec("c", "C", "select", options=[("a", "A")]),
                FieldSpec("x", "X", show_when="c", show_value="zzz"),
            ],
            "1/show_value",
        ),
        ([FieldSpec("x", "X", parent="nope")], "0/parent"),
        ([FieldSpec("n", "N", "integer", default="many")], "0/default"),
    ],
)
def test_builder_errors_point_at_the_field(app, specs, where):
    with pytest.raises(BuilderError) as info:
        to_schema(specs)
    assert where in info.value.errors
