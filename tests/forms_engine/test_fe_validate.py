"""Errors land on the field to fix, in the engine's own Spanish and English."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from forms_engine import compile_form
from forms_engine.formats import CHECKERS

sys.path.insert(0, str(Path(__file__).parent))
from fe_schemas import SCHEMAS, UI  # noqa: E402

# (schema, instance, pointer, es message or None, en message or None)
INVALID: list[tuple[str, dict[str, Any], str, str | None, str | None]] = [
    ("scalars", {}, "/name", "Este campo es obligatorio.", "This field is required."),
    (
        "scalars",
        {"name": "a" * 41},
        "/name",
        "Debe tener como máximo 40 caracteres.",
        "Must be at most 40 characters long.",
    ),
    ("scalars", {"name": ""}, "/name", "No puede estar vacío.", "Must not be empty."),
    (
        "scalars",
        {"name": "a", "age": -1},
        "/age",
        "Debe ser mayor o igual que 0.",
        "Must be greater than or equal to 0.",
    ),
    (
        "scalars",
        {"name": "a", "age": "doce"},
        "/age",
        "Debe ser un número entero.",
        "Must be a whole number.",
    ),
    (
        "scalars",
        {"name": "a", "ratio": 0},
        "/ratio",
        "Debe ser mayor que 0.",
        "Must be greater than 0.",
    ),
    ("scalars", {"name": "a", "agree": "yes"}, "/agree", "Debe ser sí o no.", "Must be yes or no."),
    (
        "scalars",
        {"name": "a", "zzz": 1},
        "/zzz",
        "Este campo no está permitido.",
        "This field is not allowed.",
    ),
    (
        "conditions",
        {"channel": "phone"},
        "/phone",
        "Este campo es obligatorio.",
        "This field is required.",
    ),
    (
        "conditions",
        {"channel": "phone", "phone": "12"},
        "/phone",
        "Introduce un teléfono válido (de 7 a 15 dígitos).",
        "Enter a valid phone number (7 to 15 digits).",
    ),
    (
        "conditions",
        {"channel": "email", "email": "no-at"},
        "/email",
        "Introduce una dirección de correo válida.",
        "Enter a valid email address.",
    ),
    (
        "conditions",
        {"channel": "fax"},
        "/channel",
        "Elige una de las opciones permitidas.",
        "Choose one of the allowed options.",
    ),
    ("nested", {"contact": {}}, "/contact/email", "Este campo es obligatorio.", None),
    (
        "nested",
        {"contact": {"email": "a@b.co", "address": {"zip": "1234"}}},
        "/contact/address/zip",
        "No tiene el formato esperado.",
        "Does not have the expected format.",
    ),
    (
        "enum_arrays",
        {"tags": ["red", "pink"]},
        "/tags",
        "Elige una de las opciones permitidas.",
        None,
    ),
    (
        "enum_arrays",
        {"tags": ["red", "red"]},
        "/tags",
        "No repitas elementos.",
        "Do not repeat items.",
    ),
    (
        "enum_arrays",
        {"tags": []},
        "/tags",
        "Indica al menos un elemento.",
        "Give at least one item.",
    ),
    (
        "object_arrays",
        {"items": [{"qty": 1}, {"kind": "part"}]},
        "/items/1/qty",
        "Este campo es obligatorio.",
        None,
    ),
    (
        "object_arrays",
        {"items": [{"qty": 0}]},
        "/items/0/qty",
        "Debe ser mayor o igual que 1.",
        None,
    ),
    (
        "object_arrays",
        {"items": [{"qty": 1}] * 5},
        "/items",
        "Indica como máximo 4 elementos.",
        "Give at most 4 items.",
    ),
    (
        "formats",
        {"day": "2024-02-30"},
        "/day",
        "Introduce una fecha válida (AAAA-MM-DD).",
        "Enter a valid date (YYYY-MM-DD).",
    ),
    (
        "formats",
        {"when": "2024-02-01 25:00"},
        "/when",
        None,
        "Give the date and time with its UTC offset, for example 2026-03-01T10:00:00-03:00.",
    ),
    ("formats", {"at": "7pm"}, "/at", "Introduce una hora válida (HH:MM).", None),
    (
        "formats",
        {"site": "not a uri"},
        "/site",
        None,
        "Enter a valid address, for example https://example.org.",
    ),
    ("formats", {"id": "1234"}, "/id", "Introduce un identificador UUID válido.", None),
    ("defs", {"home": {"street": "x"}}, "/home/city", "Este campo es obligatorio.", None),
    ("dependencies", {"card": "1234"}, "/billing", "Este campo es obligatorio.", None),
    ("dependencies", {"wants_invoice": "yes"}, "/tax_id", "Este campo es obligatorio.", None),
    ("choices", {"priority": 7}, "/priority", "Elige una de las opciones permitidas.", None),
    ("else_branch", {"has_account": False}, "/new_name", "Este campo es obligatorio.", None),
    ("else_branch", {"has_account": True}, "/account", "Este campo es obligatorio.", None),
    ("patterns", {"qty": 0.3}, "/qty", "Debe ser múltiplo de 0,5.", "Must be a multiple of 0.5."),
    ("patterns", {"code": "ABC-12"}, "/kind", "Este campo es obligatorio.", None),
    (
        "files",
        {"attachments": ["a", "b", "c", "d"]},
        "/attachments",
        "Indica como máximo 3 elementos.",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "instance", "pointer", "es", "en"),
    INVALID,
    ids=[f"{row[0]}:{row[2]}:{i}" for i, row in enumerate(INVALID)],
)
def test_error_lands_on_field(
    name: str, instance: dict[str, Any], pointer: str, es: str | None, en: str | None
) -> None:
    form = compile_form(SCHEMAS[name], UI.get(name) if name != "scalars" else None)
    errors_es = form.validate(instance, "es")
    errors_en = form.validate(instance, "en")
    assert pointer in errors_es, errors_es
    assert set(errors_es) == set(errors_en)
    if es is not None:
        assert es in errors_es[pointer]
    if en is not None:
        assert en in errors_en[pointer]


def test_required_never_lands_on_parent() -> None:
    form = compile_form(SCHEMAS["nested"])
    errors = form.validate({"contact": {}})
    assert list(errors) == ["/contact/email"]


def test_hidden_field_is_not_validated() -> None:
    form = compile_form(SCHEMAS["conditions"])
    # phone is hidden (channel is email), so its bad value is removed, not reported
    assert form.validate({"channel": "email", "email": "a@b.co", "phone": "x"}) == {}
    assert form.prune({"channel": "email", "email": "a@b.co", "phone": "x"}) == {
        "channel": "email",
        "email": "a@b.co",
    }


def test_error_message_override_per_field() -> None:
    form = compile_form(SCHEMAS["scalars"], UI["scalars"])
    assert form.validate({}, "es") == {"/name": ["¡Dinos tu nombre!"]}
    assert form.validate({}, "en") == {"/name": ["Tell us your name!"]}


def test_non_object_instance() -> None:
    form = compile_form(SCHEMAS["scalars"])
    assert form.validate([], "en") == {"": ["The form data must be a JSON object."]}


def test_unknown_locale_falls_back_to_spanish() -> None:
    form = compile_form(SCHEMAS["scalars"])
    assert form.validate({}, "de_DE") == {"/name": ["Este campo es obligatorio."]}
    assert form.validate({}, "en_GB") == {"/name": ["This field is required."]}


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("email", ["ana@example.org", "a.b+c@x.es"], ["a@b", "@x.org", "a b@x.org", "a@@x.org"]),
        ("date", ["2024-02-29", "1999-12-31"], ["2023-02-29", "2024-1-01", "24-01-01", "hoy"]),
        (
            "date-time",
            ["2024-01-01T10:00:05.5+02:00", "2024-01-01T10:00Z", "2024-01-01T10:00:00-03:00"],
            # an offset is required: 10:00 without one is a different instant to each reader
            ["2024-01-01", "2024-01-01T24:00", "2024-01-01T10:00+2", "2024-01-01T10:00"],
        ),
        ("time", ["10:00", "23:59:59", "10:00:00Z"], ["24:00", "1:00", "10:60", "10"]),
        (
            "uri",
            ["https://example.org/a?b=c", "mailto:a@b.co", "urn:isbn:1"],
            ["example.org", "http://", "https://a b", "1http://x"],
        ),
        (
            "uuid",
            ["123e4567-e89b-12d3-a456-426614174000"],
            ["123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400g"],
        ),
        (
            "phone",
            ["+34 600 123 456", "(91) 123-4567", "1234567"],
            ["123456", "+34 600 abc", "1234567890123456", "++34600123456"],
        ),
    ],
)
def test_format_checkers_really_run(fmt: str, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert CHECKERS[fmt](value), value
    for value in bad:
        assert not CHECKERS[fmt](value), value


def test_validator_is_built_once() -> None:
    form = compile_form(SCHEMAS["formats"])
    validator = form._validator
    form.validate({"email": "x"})
    assert compile_form(SCHEMAS["formats"])._validator is validator
