"""Forms for ticket types and the parsing of the visual builder's posted fields."""

from __future__ import annotations

import math
import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..catalog.builder import KEY_RE, FieldSpec
from ..models import Priority
from ..numbers import whole_number

MAX_FIELDS = 100
KIND_LABELS = {
    "text": _l("Short text"),
    "textarea": _l("Long text"),
    "integer": _l("Whole number"),
    "number": _l("Number"),
    "date": _l("Date"),
    "datetime": _l("Date and time"),
    "time": _l("Time"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "url": _l("Web address"),
    "select": _l("Single choice (list)"),
    "radio": _l("Single choice (buttons)"),
    "checkboxes": _l("Multiple choice"),
    "boolean": _l("Yes / no"),
    "file": _l("Files"),
    "group": _l("Group"),
    "repeat": _l("Repeatable group"),
}
CHANGE_LABELS = {
    "added": _l("Added"),
    "removed": _l("Removed"),
    "retyped": _l("Type changed"),
    "options_removed": _l("Options removed"),
    "newly_required": _l("Now required"),
}
SLUG_RE = re.compile(r"[^a-z0-9_]+")


class TicketTypeForm(FlaskForm):
    """A ticket type's name, key, description and routing defaults."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=80)])
    key = StringField(
        _l("Key"),
        validators=[
            DataRequired(_l("Enter a key.")),
            Regexp(
                KEY_RE,
                message=_l(
                    "Use lowercase letters, digits and _ (start with a letter, at most 40)."
                ),
            ),
        ],
    )
    description = TextAreaField(
        _l("Description for clients"), validators=[Length(max=2000)], render_kw={"rows": 3}
    )
    default_area = SelectField(_l("Default area"), coerce=str, validators=[Optional()])
    default_priority = SelectField(
        _l("Default priority"),
        choices=[SelectChoice(p.value, p.label) for p in Priority],
        default=Priority.NORMAL.value,
    )
    color = StringField(
        _l("Colour"),
        default="#0d6efd",
        render_kw={"type": "color"},
        validators=[Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Choose a colour like #0d6efd."))],
    )
    icon = StringField(_l("Icon"), validators=[Length(max=40)])


def _float(raw: str, index: int, attr: str, errors: dict[str, list[str]]) -> float | None:
    """Parse an optional number from the builder, noting an error when it is not one."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # "1e309" and "nan" parse, but no schema can hold them
        errors.setdefault(f"{index}/{attr}", []).append(_("Enter a number."))
        return None
    return value


def _options(raw: str) -> list[tuple[str, str]]:
    """Read options written one per line as "value | Label" or just "Label"."""
    options = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        value, sep, label = line.partition("|")
        if not sep:
            label = value
            value = SLUG_RE.sub("_", value.strip().lower()).strip("_") or "option"
        options.append((value.strip(), label.strip()))
    return options


def _options_en(raw: str, options: list[tuple[str, str]]) -> dict[str, str]:
    """Read the options' English labels: "value | Label" lines, or plain labels in order."""
    values = [v for v, _t in options]
    labels: dict[str, str] = {}
    lines = [line for line in raw.splitlines() if line.strip()]
    for position, line in enumerate(lines):
        value, sep, label = line.partition("|")
        if not sep:
            value, label = (values[position] if position < len(values) else ""), value
        if value.strip() in values and label.strip():
            labels[value.strip()] = label.strip()[:200]
    return labels


def options_text(options: list[tuple[str, str]]) -> str:
    """Write options back as the builder's text."""
    return "\n".join(f"{v} | {t}" for v, t in options)


def options_en_text(spec: FieldSpec) -> str:
    """Write the options' English labels back as the builder's text."""
    english = spec.options_en
    return "\n".join(f"{v} | {english[v]}" for v, _t in spec.options if v in english)


def parse_fields(form: MultiDict[str, str]) -> tuple[list[FieldSpec], dict[str, list[str]]]:
    """Rebuild the builder's field list from posted data; return it with parse errors."""
    errors: dict[str, list[str]] = {}
    try:
        count = min(int(form.get("count", "0")), MAX_FIELDS)
    except ValueError:
        count = 0
    specs = []
    for i in range(count):
        get = lambda attr, i=i: form.get(f"f-{i}-{attr}", "")  # noqa: E731
        kind = get("kind") or "text"
        applies = FieldSpec(kind=kind).applies
        # A property hidden for this kind is ignored, even when it holds something unreadable.
        numbers = {
            a: _float(get(a), i, a, errors) if applies(a) else None
            for a in ("minimum", "maximum", "max_length", "max_items", "max_size_mb")
        }
        options = _options(get("options"))
        specs.append(
            FieldSpec(
                key=get("key").strip(),
                label=get("label").strip()[:200],
                kind=kind,
                required=bool(get("required")),
                help=get("help").strip()[:500],
                placeholder=get("placeholder").strip()[:200],
                options=options,
                minimum=numbers["minimum"],
                maximum=numbers["maximum"],
                pattern=get("pattern").strip()[:512],
                max_length=_whole(numbers["max_length"]),
                default=get("default").strip()[:200],
                parent=get("parent").strip(),
                show_when=get("show_when").strip(),
                show_value=get("show_value").strip(),
                max_items=_whole(numbers["max_items"]),
                accept=[a.strip() for a in get("accept").split(",") if a.strip()],
                max_size_mb=numbers["max_size_mb"],
                label_en=get("label_en").strip()[:200],
                help_en=get("help_en").strip()[:500],
                placeholder_en=get("placeholder_en").strip()[:200],
                options_en=_options_en(get("options_en"), options),
                auto_key=get("auto_key").strip(),
            )
        )
    return specs, errors


def _whole(value: float | None) -> int | None:
    """Turn a parsed positive number into a whole count (the engine bounds it later)."""
    return int(value) if value is not None and value > 0 else None


def apply_action(specs: list[FieldSpec], action: str) -> list[FieldSpec]:
    """Apply one builder button (add, remove, move up or down) to the field list."""
    verb, _sep, arg = action.partition(":")
    if verb == "add":
        kind = arg or "text"
        return [*specs, FieldSpec(key="", label="", kind=kind)]  # keyed by builder.prepare
    index = whole_number(arg, len(specs) - 1, minimum=0)
    if index is None:
        return specs
    result = list(specs)
    if verb == "remove":
        del result[index]
    elif verb == "up" and index > 0:
        result[index - 1], result[index] = result[index], result[index - 1]
    elif verb == "down" and index < len(result) - 1:
        result[index + 1], result[index] = result[index], result[index + 1]
    return result


def field_errors(errors: dict[str, list[str]], index: int) -> dict[str, Any]:
    """Pick one field's errors (attribute -> messages) out of the builder's errors."""
    prefix = f"{index}/"
    return {k[len(prefix) :]: v for k, v in errors.items() if k.startswith(prefix)}
