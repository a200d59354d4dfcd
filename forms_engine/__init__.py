"""forms_engine: JSON Schema 2020-12 (a safe subset) → accessible server-rendered forms.

Standalone: no Flask, no database. See docs/forms.md.
"""

from __future__ import annotations

from pathlib import Path

from .dates import date_pattern, date_text, local_input, read_date, typed_date, with_zone
from .form import CompiledForm, clear_cache, compile_form
from .messages import MESSAGES, message
from .model import Field, Problem, SchemaError

#: Errors keyed by the JSON Pointer of the field to fix ("" = the whole form).
FormErrors = dict[str, list[str]]


def static_path() -> Path:
    """The folder holding ``forms_engine.js`` (serve it as a static file)."""
    return Path(__file__).resolve().parent / "static"


__all__ = [
    "MESSAGES",
    "CompiledForm",
    "Field",
    "FormErrors",
    "Problem",
    "SchemaError",
    "clear_cache",
    "compile_form",
    "date_pattern",
    "date_text",
    "local_input",
    "read_date",
    "typed_date",
    "with_zone",
    "message",
    "static_path",
]
