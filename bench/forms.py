"""Micro-benchmarks of the forms engine: compile (uncached), render, parse+validate.

Prints one JSON line per measurement: {"name", "p50_ms", "p95_ms", "n"}.
Run: .venv/bin/python bench/forms.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forms_engine import clear_cache, compile_form  # noqa: E402

SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Incidencia",
    "required": ["summary", "category", "email"],
    "properties": {
        "summary": {"type": "string", "maxLength": 120, "title": "Resumen"},
        "details": {"type": "string", "maxLength": 4000, "title": "Detalles"},
        "category": {
            "type": "string",
            "oneOf": [
                {"const": "hw", "title": "Hardware"},
                {"const": "sw", "title": "Software"},
                {"const": "net", "title": "Red"},
            ],
        },
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string", "format": "phone"},
        "when": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "time"},
        "urgency": {"type": "integer", "minimum": 1, "maximum": 5},
        "cost": {"type": "number", "minimum": 0, "multipleOf": 0.01},
        "remote": {"type": "boolean"},
        "tags": {"type": "array", "items": {"enum": ["a", "b", "c", "d"]}, "maxItems": 4},
        "office": {"type": "string", "enum": ["MAD", "BCN", "VLC", "SEV", "BIO"]},
        "code": {"type": "string", "maxLength": 8, "pattern": "^[A-Z]{2}[0-9]{1,6}$"},
        "contact": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 60},
                "site": {"type": "string", "format": "uri"},
            },
        },
        "items": {
            "type": "array",
            "maxItems": 5,
            "items": {
                "type": "object",
                "required": ["qty"],
                "properties": {
                    "qty": {"type": "integer", "minimum": 1},
                    "ref": {"type": "string", "maxLength": 20},
                },
            },
        },
    },
    "allOf": [
        {
            "if": {"properties": {"category": {"const": "hw"}}, "required": ["category"]},
            "then": {
                "properties": {
                    "serial": {"type": "string", "maxLength": 30},
                    "model": {"type": "string", "maxLength": 30},
                },
                "required": ["serial"],
            },
        },
        {
            "if": {"properties": {"category": {"const": "sw"}}, "required": ["category"]},
            "then": {"properties": {"version": {"type": "string", "maxLength": 20}}},
            "else": {"properties": {"location": {"type": "string", "maxLength": 40}}},
        },
    ],
    "dependentRequired": {"phone": ["at"]},
}

FORM_DATA: dict[str, list[str]] = {
    "cf-summary": ["No arranca el portátil"],
    "cf-details": ["Desde ayer no enciende."],
    "cf-category": ["hw"],
    "cf-email": ["ana@example.org"],
    "cf-phone": ["+34 600 123 456"],
    "cf-when": ["2024-05-01"],
    "cf-at": ["10:30"],
    "cf-urgency": ["3"],
    "cf-cost": ["12,50"],
    "cf-tags": ["a", "c"],
    "cf-office": ["MAD"],
    "cf-code": ["AB123"],
    "cf-contact.name": ["Ana"],
    "cf-contact.site": ["https://example.org"],
    "cf-items.0.qty": ["2"],
    "cf-items.0.ref": ["X1"],
    "cf-items.1.qty": [""],
    "cf-serial": ["SN-1"],
    "cf-model": ["T14"],
    "cf-location": ["Planta 2"],
}


def measure(name: str, fn: Callable[[], object], n: int) -> None:
    for _ in range(min(20, n)):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    print(
        json.dumps(
            {
                "name": name,
                "p50_ms": round(statistics.median(samples), 4),
                "p95_ms": round(p95, 4),
                "n": n,
            }
        )
    )


def main() -> None:
    def compile_uncached() -> object:
        clear_cache()
        return compile_form(SCHEMA)

    measure("compile", compile_uncached, 200)
    form = compile_form(SCHEMA)
    instance = form.parse(FORM_DATA)
    assert form.validate(instance) == {}, form.validate(instance)
    errors = form.validate({"summary": ""})
    measure("render", lambda: form.render(instance), 2000)
    measure("render_with_errors", lambda: form.render({"summary": ""}, errors), 2000)
    measure("parse_validate", lambda: form.validate(form.parse(FORM_DATA)), 2000)


if __name__ == "__main__":
    main()
