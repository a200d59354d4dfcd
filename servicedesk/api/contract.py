"""The API's contract, enforced: query parameters and JSON bodies checked against the document.

The OpenAPI document is generated from the same declarations (spec.Operation), so what it
promises and what the API accepts cannot drift apart. Messages come from the forms engine's
catalogue, in the user's language, one per JSON pointer, as the web forms show them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from jsonschema import Draft202012Validator, ValidationError

from forms_engine import message
from forms_engine.formats import FORMAT_CHECKER

from .problems import ApiError
from .schemas import COMPONENTS
from .spec import Operation, by_endpoint

_INTEGER = re.compile(r"-?[0-9]{1,20}")
_SIZE_KEYWORDS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
)


def _anchored(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema whose local references (#/components/…) resolve in the API document."""
    return {
        "$ref": "#/$defs/checked",
        "$defs": {"checked": schema},
        "components": {"schemas": COMPONENTS},
    }


@cache
def _validator(endpoint: str, part: str) -> Draft202012Validator | None:
    """The validator of an operation's JSON body or query string (None: nothing declared)."""
    op = by_endpoint(endpoint)
    if op is None:
        return None
    if part in ("body", "form"):
        kind = "application/json" if part == "body" else "multipart/form-data"
        content = (op.body or {}).get("content", {}).get(kind)
        if not content:
            return None
        return _build(content["schema"] if part == "body" else _form_schema(content["schema"]))
    if not op.query:
        return None
    return _build({"type": "object", "properties": {p["name"]: p["schema"] for p in op.query}})


def _build(schema: dict[str, Any]) -> Draft202012Validator:
    """A 2020-12 validator with formats checked and the document's components known."""
    return Draft202012Validator(_anchored(schema), format_checker=FORMAT_CHECKER)


def _pointer(parts: Any) -> str:
    """A JSON Pointer from a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _explain(error: ValidationError, locale: str) -> list[tuple[str, str]]:
    """(pointer, message) pairs for one schema violation."""
    where = _pointer(error.absolute_path)
    keyword, value = str(error.validator), error.validator_value
    instance = error.instance
    if keyword == "required" and isinstance(instance, dict):
        return [
            (f"{where}/{name}", message("required", locale))
            for name in value
            if name not in instance
        ]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return [
            (f"{where}/{name}"[:100], message("additionalProperties", locale))
            for name in instance
            if name not in known
        ]
    if keyword == "type":
        kind = value[0] if isinstance(value, list) else value
        return [(where, message(f"type.{kind}", locale))]
    if keyword in _SIZE_KEYWORDS:
        return [(where, message(keyword, locale, {"limit": value}))]
    if keyword == "format":
        return [(where, message(f"format.{value}", locale))]
    if keyword in ("enum", "pattern", "uniqueItems"):
        return [(where, message(keyword, locale))]
    return [(where, message("invalid", locale))]


def _errors(
    validator: Draft202012Validator, instance: Any, prefix: str = ""
) -> dict[str, list[str]]:
    """Every violation of instance, as messages by JSON Pointer (empty when valid)."""
    locale = str(get_locale())
    found: dict[str, list[str]] = {}
    for error in validator.iter_errors(instance):
        for pointer, text in _explain(error, locale):
            found.setdefault(prefix + pointer, []).append(text)
    return found


def check_body(data: Any) -> None:
    """Refuse a JSON body the current operation does not declare: 422 with pointers."""
    validator = _validator(request.endpoint or "", "body")
    if validator is not None and (errors := _errors(validator, data)):
        raise ApiError(422, errors=errors)


def _form_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A multipart schema with its JSON parts taken as any text (check_body reads them)."""
    properties = {
        name: {"type": "string"} if "$ref" in prop else prop
        for name, prop in schema.get("properties", {}).items()
    }
    return {**schema, "properties": properties}


def _part_schema(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The schema a part of this name falls under (declared, or by pattern)."""
    if name in schema.get("properties", {}):
        return dict(schema["properties"][name])
    for pattern, found in schema.get("patternProperties", {}).items():
        if re.search(pattern, name):
            return dict(found)
    return {}


def _parts(schema: dict[str, Any]) -> dict[str, Any]:
    """The multipart body as the instance its schema describes (files as placeholders)."""
    instance: dict[str, Any] = {}
    for name in set(request.form) | set(request.files):
        values = request.form.getlist(name) + ["" for _f in request.files.getlist(name)]
        # A file part may come as a file or as a plain field: both are one item.
        many = _part_schema(schema, name).get("type") == "array"
        instance[name] = values if many else values[0]
    return instance


def check_form() -> None:
    """Refuse multipart parts the current operation does not declare: 422 with pointers."""
    endpoint = request.endpoint or ""
    validator, op = _validator(endpoint, "form"), by_endpoint(endpoint)
    if validator is None or op is None:
        return
    schema = op.body["content"]["multipart/form-data"]["schema"] if op.body else {}
    errors = _errors(validator, _parts(schema))
    locale = str(get_locale())
    for name, value in request.form.items(multi=True):
        # NUL is never text (PostgreSQL refuses it); only file parts may carry it.
        if "\x00" in value and _part_schema(schema, name).get("type") != "array":
            errors.setdefault(_pointer([name]), []).append(message("invalid", locale))
    if errors:
        raise ApiError(422, errors=errors)


def _typed(op: Operation) -> dict[str, Any]:
    """The query string with each declared parameter in the type its schema declares."""
    typed: dict[str, Any] = {}
    for param in op.query:
        name, schema = param["name"], param["schema"]
        if name not in request.args:
            continue
        if schema.get("type") == "array":
            typed[name] = request.args.getlist(name)
            continue
        raw = request.args.get(name, "")
        # An integer parameter written in ASCII digits is compared as a number.
        typed[name] = (
            int(raw) if schema.get("type") == "integer" and _INTEGER.fullmatch(raw) else raw
        )
    return typed


def check_query() -> None:
    """Refuse undeclared query parameters, and declared ones that break their schema: 400."""
    endpoint = request.endpoint or ""
    op, validator = by_endpoint(endpoint), _validator(endpoint, "query")
    if op is None:
        return
    # Validators are built once per operation (cached); one without parameters has none.
    errors = _errors(validator, _typed(op), prefix="/query") if validator else {}
    declared = {p["name"] for p in op.query}
    custom = "type" in declared  # the ticket list also filters by custom field: cf.<field>
    locale = str(get_locale())
    for name in request.args:
        # A misspelt filter answers 400 instead of silently listing everything.
        if name not in declared and not (custom and name.startswith("cf.") and len(name) > 3):
            errors.setdefault(_pointer(["query", name])[:100], []).append(
                message("additionalProperties", locale)
            )
    if errors:
        names = ", ".join(sorted({p.split("/")[2] for p in errors}))
        raise ApiError(
            400, _("These parameters are not valid: %(names)s.", names=names), errors=errors
        )
