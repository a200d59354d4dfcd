"""The visual field builder's model: a flat list of field specs <-> JSON Schema + UI hints.

The builder covers what an administrator needs without JSON: every field kind the engine
supports, one level of groups and repeatable groups, and "show and require when field X is
Y" conditions on top-level fields. Schemas outside that shape are edited as raw JSON.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _

from ..emails import MAX_LENGTH

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STRING_FORMATS = {
    "date": "date",
    "datetime": "date-time",
    "time": "time",
    "email": "email",
    "phone": "phone",
    "url": "uri",
}
FORMAT_KINDS = {v: k for k, v in STRING_FORMATS.items()}
TEXT_LIMITS = {"text": 200, "textarea": 4000, "email": MAX_LENGTH, "phone": 30, "url": 500}
CHOICE_KINDS = ("select", "radio")
CONTAINER_KINDS = ("group", "repeat")
KINDS = (
    "text",
    "textarea",
    "integer",
    "number",
    "date",
    "datetime",
    "time",
    "email",
    "phone",
    "url",
    "select",
    "radio",
    "checkboxes",
    "boolean",
    "file",
    "group",
    "repeat",
)
DEFAULT_ACCEPT = ["image/*", "application/pdf"]
# The language of the schema's own titles, descriptions and option titles; the other
# languages' texts live in the UI hints (docs/forms.md, "Labels in several languages").
DEFAULT_LANGUAGE = "es"
OTHER_LANGUAGE = "en"
KEY_MAX = 40
KEY_FALLBACK = "campo"

# Which of a card's properties apply to each kind; the others are hidden in the builder and
# ignored when posted (a checkbox has no maximum length, a date no options).
COMMON_PROPERTIES = ("label", "label_en", "key", "kind", "help", "help_en", "required")
_TEXTUAL = ("placeholder", "placeholder_en", "default")
PROPERTIES: dict[str, tuple[str, ...]] = {
    "text": (*_TEXTUAL, "max_length", "pattern"),
    "textarea": (*_TEXTUAL, "max_length", "pattern"),
    "integer": (*_TEXTUAL, "minimum", "maximum"),
    "number": (*_TEXTUAL, "minimum", "maximum"),
    "date": ("default",),
    "datetime": ("default",),
    "time": ("default",),
    "email": (*_TEXTUAL, "max_length"),
    "phone": (*_TEXTUAL, "max_length"),
    "url": (*_TEXTUAL, "max_length"),
    "select": ("default", "options", "options_en"),
    "radio": ("default", "options", "options_en"),
    "checkboxes": ("options", "options_en", "max_items"),
    "boolean": ("default",),
    "file": ("max_items", "accept", "max_size_mb"),
    "group": (),
    "repeat": ("max_items",),
}
SPECIFIC_PROPERTIES = tuple(dict.fromkeys(p for props in PROPERTIES.values() for p in props))
# Placement applies to every field: a group for fields that are not groups, a condition.
PLACEMENT = ("parent", "show_when", "show_value")


class BuilderError(ValueError):
    """The builder's fields cannot be turned into a schema; errors keyed by field index."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid builder fields")
        self.errors = errors


class NotBuildable(ValueError):
    """The schema uses shapes the visual builder does not edit (raw JSON only)."""


@dataclass
class FieldSpec:
    """One field as the builder shows it."""

    key: str = ""
    label: str = ""
    kind: str = "text"
    required: bool = False
    help: str = ""
    placeholder: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str = ""
    default: str = ""
    parent: str = ""
    show_when: str = ""
    show_value: str = ""
    max_items: int | None = None
    accept: list[str] = field(default_factory=list)
    max_size_mb: float | None = None
    label_en: str = ""
    help_en: str = ""
    placeholder_en: str = ""
    options_en: dict[str, str] = field(default_factory=dict)
    # The key the builder derived from the label and has not been edited by hand: a new
    # field's key follows its label until the administrator types one (empty: fixed).
    auto_key: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the spec as plain data (for hidden form state and tests)."""
        return asdict(self)

    def applies(self, prop: str) -> bool:
        """Tell whether a property belongs on this kind's card."""
        return (
            prop in COMMON_PROPERTIES or prop in PLACEMENT or prop in PROPERTIES.get(self.kind, ())
        )


def applicable(spec: FieldSpec) -> FieldSpec:
    """Drop the properties that do not apply to the field's kind (hidden ones, posted anyway)."""
    blank = FieldSpec()
    for name in SPECIFIC_PROPERTIES:
        if not spec.applies(name):
            setattr(spec, name, getattr(blank, name))
    return spec


def translated(specs: list[FieldSpec]) -> bool:
    """Tell whether any field has a text in the other language."""
    return any(s.label_en or s.help_en or s.placeholder_en or s.options_en for s in specs)


def prepare(specs: list[FieldSpec]) -> list[FieldSpec]:
    """The posted fields as the builder keeps them: only their kind's properties, keyed."""
    return fill_keys([applicable(spec) for spec in specs])


# ---------------------------------------------------------------- machine keys


def slug(label: str) -> str:
    """A machine key from a label: "Área común" -> "area_comun" (ASCII, lowercase, _)."""
    decomposed = unicodedata.normalize("NFKD", label)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.lower().replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    key = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")
    if not key:
        return KEY_FALLBACK
    if not key[0].isalpha():
        key = f"{KEY_FALLBACK}_{key}"
    return key[:KEY_MAX].rstrip("_")


def unique_key(base: str, taken: set[str]) -> str:
    """The first of base, base_2, base_3… that no other field uses (within 40 characters)."""
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = base[: KEY_MAX - len(suffix)].rstrip("_") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def fill_keys(specs: list[FieldSpec]) -> list[FieldSpec]:
    """Give every field left without a key (or still on its derived key) one from its label.

    A key typed by hand is kept as typed (check() reports a clash); a derived key follows
    its label and is made unique within the form with _2, _3….
    """
    derived = [not s.key or (s.auto_key and s.key == s.auto_key) for s in specs]
    taken = {s.key for s, auto in zip(specs, derived, strict=True) if not auto}
    for spec, auto in zip(specs, derived, strict=True):
        if auto:
            spec.key = unique_key(slug(spec.label or spec.label_en), taken)
            spec.auto_key = spec.key
            taken.add(spec.key)
        else:
            spec.auto_key = ""
    return specs


# ---------------------------------------------------------------- fields -> schema


def _number(value: float | None, integer: bool) -> int | float | None:
    """Keep whole numbers as int so the schema reads naturally."""
    if value is None:
        return None
    return int(value) if integer or float(value).is_integer() else float(value)


def number_text(value: float | None) -> str:
    """A number as the builder shows it: whole numbers without ".0" (5, not 5.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _scalar_default(spec: FieldSpec, schema: dict[str, Any]) -> None:
    """Add a typed default when the administrator gave one."""
    if spec.default == "":
        return
    kind = spec.kind
    if kind == "integer":
        schema["default"] = int(spec.default)
    elif kind == "number":
        schema["default"] = _number(float(spec.default), False)
    elif kind == "boolean":
        schema["default"] = spec.default.lower() in {"true", "1", "yes", "sí", "si"}
    elif kind != "checkboxes":
        schema["default"] = spec.default


def _leaf_schema(spec: FieldSpec) -> dict[str, Any]:  # noqa: C901 - a branch per field kind
    """Build the JSON Schema of a non-container field."""
    kind = spec.kind
    schema: dict[str, Any] = {"title": spec.label or spec.key}
    if spec.help:
        schema["description"] = spec.help
    if kind in ("integer", "number"):
        schema["type"] = kind
        for name, value in (("minimum", spec.minimum), ("maximum", spec.maximum)):
            number = _number(value, kind == "integer")
            if number is not None:
                schema[name] = number
    elif kind == "boolean":
        schema["type"] = "boolean"
    elif kind in CHOICE_KINDS:
        schema["type"] = "string"
        schema["oneOf"] = [{"const": v, "title": t or v} for v, t in spec.options]
    elif kind == "checkboxes":
        schema.update(
            type="array",
            uniqueItems=True,
            items={"type": "string", "enum": [v for v, _t in spec.options]},
        )
        if spec.max_items:
            schema["maxItems"] = spec.max_items
    elif kind == "file":
        size = int((spec.max_size_mb or 10) * 1024 * 1024)
        schema.update(
            type="array",
            items={"type": "string", "maxLength": 64},
            maxItems=spec.max_items or 5,
            **{"x-file": {"accept": spec.accept or DEFAULT_ACCEPT, "maxSize": size}},
        )
    else:
        schema["type"] = "string"
        if kind in STRING_FORMATS:
            schema["format"] = STRING_FORMATS[kind]
        if kind in TEXT_LIMITS:
            schema["maxLength"] = spec.max_length or TEXT_LIMITS[kind]
        if spec.pattern and kind in ("text", "textarea"):
            schema["pattern"] = spec.pattern
    _scalar_default(spec, schema)
    return schema


def _in_languages(default: str, other: str) -> str | dict[str, str]:
    """A UI text in both languages: the default language's, then the other's when given."""
    texts = {DEFAULT_LANGUAGE: default} if default else {}
    if other:
        texts[OTHER_LANGUAGE] = other
    return texts if other else default


def _ui_hints(spec: FieldSpec) -> dict[str, Any]:
    """Build the UI hints of one field: widget, placeholder and the texts in other languages.

    The default language's label and help are the schema's title and description; a field
    with English texts repeats them in a locale map, which the engine reads first.
    """
    hints: dict[str, Any] = {}
    widget = {
        "textarea": "textarea",
        "radio": "radio",
        "select": "select",
        "checkboxes": "checkboxes",
    }.get(spec.kind)
    if widget:
        hints["widget"] = widget
    if spec.label_en:
        hints["label"] = {DEFAULT_LANGUAGE: spec.label or spec.key, OTHER_LANGUAGE: spec.label_en}
    if spec.help_en:
        hints["help"] = _in_languages(spec.help, spec.help_en)
    if spec.placeholder or spec.placeholder_en:
        hints["placeholder"] = _in_languages(spec.placeholder, spec.placeholder_en)
    options: dict[str, Any] = {}
    for value, label in spec.options:
        english = spec.options_en.get(value, "")
        if english:
            options[value] = {DEFAULT_LANGUAGE: label or value, OTHER_LANGUAGE: english}
        elif spec.kind == "checkboxes" and label and label != value:
            options[value] = label  # an enum has no titles: its labels live here
        elif spec.kind == "checkboxes":
            options[value] = value
    if any(isinstance(v, dict) for v in options.values()) or (
        spec.kind == "checkboxes" and any(t and t != v for v, t in spec.options)
    ):
        hints["options"] = options
    return hints


def _condition_value(controller: FieldSpec, raw: str) -> Any:
    """Type a condition's value like the controlling field's values."""
    if controller.kind == "boolean":
        return raw.lower() in {"true", "1", "yes", "sí", "si"}
    if controller.kind in ("integer", "number"):
        return _number(float(raw), controller.kind == "integer")
    return raw


def check(fields: list[FieldSpec]) -> dict[str, list[str]]:
    """Return problems with the builder's fields, keyed by "index/attribute"."""

    errors: dict[str, list[str]] = {}
    keys: dict[str, FieldSpec] = {}

    def add(index: int, attr: str, message: str) -> None:
        errors.setdefault(f"{index}/{attr}", []).append(message)

    for i, spec in enumerate(fields):
        if not KEY_RE.match(spec.key):
            add(
                i,
                "key",
                _("Use lowercase letters, digits and _ (start with a letter, at most 40)."),
            )
        elif spec.key in keys:
            add(i, "key", _("Another field already uses this key."))
        keys.setdefault(spec.key, spec)
        if spec.kind not in KINDS:
            add(i, "kind", _("Choose a field type."))
        if spec.kind in (*CHOICE_KINDS, "checkboxes") and not spec.options:
            add(i, "options", _("Give at least one option."))
        if spec.parent and (
            spec.parent not in keys or keys[spec.parent].kind not in CONTAINER_KINDS
        ):
            add(i, "parent", _("The group must be a group field listed above this one."))
        if spec.parent and spec.kind in CONTAINER_KINDS:
            add(i, "parent", _("Groups cannot be nested in the builder; use raw JSON."))
        _check_condition(i, spec, keys, add)
        _check_default(i, spec, add)
    return errors


def _check_condition(i: int, spec: FieldSpec, keys: dict[str, FieldSpec], add: Any) -> None:
    """Check a "show when" condition points at a choice or yes/no field above."""

    if not spec.show_when:
        return
    controller = keys.get(spec.show_when)
    if spec.parent:
        add(i, "show_when", _("Conditions are available on top-level fields only."))
    elif controller is None or controller is spec or controller.parent:
        add(i, "show_when", _("Choose a field listed above this one."))
    elif controller.kind not in (*CHOICE_KINDS, "boolean"):
        add(i, "show_when", _("Conditions depend on a choice or yes/no field."))
    elif controller.kind in CHOICE_KINDS and spec.show_value not in {
        v for v, _t in controller.options
    }:
        add(i, "show_value", _("Choose one of that field's options."))


def _check_default(i: int, spec: FieldSpec, add: Any) -> None:
    """Check a default parses as the field's type, and a whole number's limits are whole."""

    if spec.kind == "integer":
        for attr in ("minimum", "maximum"):
            value = getattr(spec, attr)
            if value is not None and not float(value).is_integer():
                add(i, attr, _("Enter a whole number."))
    if spec.default == "" or spec.kind not in ("integer", "number"):
        return
    try:
        int(spec.default) if spec.kind == "integer" else float(spec.default)
    except ValueError:
        add(
            i,
            "default",
            _("Enter a whole number.")
            if spec.kind == "integer"
            else _("The default must be a number."),
        )


def to_schema(fields: list[FieldSpec], title: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """Turn builder fields into (JSON Schema, UI hints); raise BuilderError on problems."""
    errors = check(fields)
    if errors:
        raise BuilderError(errors)
    by_key = {spec.key: spec for spec in fields}
    root: dict[str, Any] = {"type": "object", "properties": {}}
    if title:
        root["title"] = title
    ui_fields: dict[str, Any] = {}
    conditions: list[dict[str, Any]] = []
    containers: dict[str, dict[str, Any]] = {}
    for spec in fields:
        schema = _container_schema(spec) if spec.kind in CONTAINER_KINDS else _leaf_schema(spec)
        hints = _ui_hints(spec)
        path = f"{spec.parent}.{spec.key}" if spec.parent else spec.key
        if hints:
            ui_fields[path] = hints
        if spec.parent:
            _add_child(containers[spec.parent], spec, schema)
        elif spec.show_when:
            controller = by_key[spec.show_when]
            then: dict[str, Any] = {"properties": {spec.key: schema}}
            if spec.required:
                then["required"] = [spec.key]
            conditions.append(
                {
                    "if": {
                        "properties": {
                            controller.key: {"const": _condition_value(controller, spec.show_value)}
                        },
                        "required": [controller.key],
                    },
                    "then": then,
                }
            )
        else:
            root["properties"][spec.key] = schema
            if spec.required:
                root.setdefault("required", []).append(spec.key)
        if spec.kind in CONTAINER_KINDS:
            containers[spec.key] = schema
    if conditions:
        root["allOf"] = conditions
    ui: dict[str, Any] = {"order": [s.key for s in fields if not s.parent]}
    if ui_fields:
        ui["fields"] = ui_fields
    return root, ui


def _container_schema(spec: FieldSpec) -> dict[str, Any]:
    """Build the schema of a group (object) or repeatable group (array of objects)."""
    inner: dict[str, Any] = {"type": "object", "properties": {}}
    base: dict[str, Any] = {"title": spec.label or spec.key}
    if spec.help:
        base["description"] = spec.help
    if spec.kind == "group":
        return {**base, **inner}
    return {
        **base,
        "type": "array",
        "items": inner,
        "maxItems": spec.max_items or 10,
        **({"minItems": 1} if spec.required else {}),
    }


def _add_child(container: dict[str, Any], spec: FieldSpec, schema: dict[str, Any]) -> None:
    """Place a child field inside its group's object schema."""
    target = container["items"] if container.get("type") == "array" else container
    target["properties"][spec.key] = schema
    if spec.required:
        target.setdefault("required", []).append(spec.key)


# ---------------------------------------------------------------- schema -> fields


def from_schema(schema: dict[str, Any], ui: dict[str, Any] | None = None) -> list[FieldSpec]:
    """Read builder fields back from a schema; raise NotBuildable for other shapes."""
    ui = ui or {}
    hints = ui.get("fields", {})
    fields: list[FieldSpec] = []
    required = set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        spec = _spec_from(key, sub, key in required, hints.get(key, {}))
        fields.append(spec)
        if spec.kind in CONTAINER_KINDS:
            fields.extend(_children(spec, sub, hints))
    for condition in schema.get("allOf", []):
        fields.extend(_conditional(condition, hints))
    extra = set(schema) - {
        "type",
        "title",
        "description",
        "properties",
        "required",
        "allOf",
        "additionalProperties",
    }
    if extra:
        raise NotBuildable(", ".join(sorted(extra)))
    order = ui.get("order") or []
    rank = {k: i for i, k in enumerate(order)}
    top = sorted([f for f in fields if not f.parent], key=lambda f: rank.get(f.key, len(rank)))
    result: list[FieldSpec] = []
    for spec in top:
        result.append(spec)
        result.extend(f for f in fields if f.parent == spec.key)
    return result


def _children(parent: FieldSpec, sub: dict[str, Any], hints: dict[str, Any]) -> list[FieldSpec]:
    """Read a group's child fields."""
    inner = sub["items"] if parent.kind == "repeat" else sub
    required = set(inner.get("required", []))
    children = []
    for key, child in inner.get("properties", {}).items():
        spec = _spec_from(key, child, key in required, hints.get(f"{parent.key}.{key}", {}))
        if spec.kind in CONTAINER_KINDS:
            raise NotBuildable("nested groups")
        spec.parent = parent.key
        children.append(spec)
    return children


def _conditional(condition: dict[str, Any], hints: dict[str, Any]) -> list[FieldSpec]:
    """Read the fields shown by one "if X is Y then show" condition."""
    try:
        [(controller, test)] = condition["if"]["properties"].items()
        value = test["const"]
        then = condition["then"]
    except (KeyError, ValueError, TypeError) as exc:
        raise NotBuildable("condition") from exc
    if set(condition) - {"if", "then"}:
        raise NotBuildable("else branch")
    required = set(then.get("required", []))
    specs = []
    for key, sub in then.get("properties", {}).items():
        spec = _spec_from(key, sub, key in required, hints.get(key, {}))
        if spec.kind in CONTAINER_KINDS:
            raise NotBuildable("conditional group")
        spec.show_when = controller
        spec.show_value = str(value).lower() if isinstance(value, bool) else str(value)
        specs.append(spec)
    return specs


def _kind_of(sub: dict[str, Any], hint: dict[str, Any]) -> str:
    """Tell the builder kind of a property schema."""
    kind = sub.get("type")
    if kind == "array":
        items = sub.get("items", {})
        if "x-file" in sub:
            return "file"
        if items.get("type") == "object":
            return "repeat"
        if "enum" in items:
            return "checkboxes"
        raise NotBuildable("array")
    if kind == "object":
        return "group"
    if kind in ("integer", "number", "boolean"):
        return str(kind)
    if kind == "string":
        if "oneOf" in sub or "enum" in sub:
            return "radio" if hint.get("widget") == "radio" else "select"
        if "format" in sub:
            if sub["format"] not in FORMAT_KINDS:
                raise NotBuildable(sub["format"])
            return FORMAT_KINDS[sub["format"]]
        return "textarea" if hint.get("widget") == "textarea" else "text"
    raise NotBuildable(str(kind))


def _default_text(text: Any) -> str:
    """The default language's text of a plain or per-language UI text."""
    if isinstance(text, dict):
        return str(text.get(DEFAULT_LANGUAGE, ""))
    return str(text) if isinstance(text, str) else ""


def _other_text(text: Any) -> str:
    """The other language's text of a per-language UI text ("" when there is none)."""
    return str(text.get(OTHER_LANGUAGE, "")) if isinstance(text, dict) else ""


def _options(sub: dict[str, Any], hint: dict[str, Any]) -> list[tuple[str, str]]:
    """Read a choice field's options with their labels."""
    labels = hint.get("options", {})
    if "oneOf" in sub:
        return [(str(o["const"]), str(o.get("title", o["const"]))) for o in sub["oneOf"]]
    values = sub.get("enum") or sub.get("items", {}).get("enum", [])
    return [(str(v), _default_text(labels.get(str(v))) or str(v)) for v in values]


def _spec_from(key: str, sub: dict[str, Any], required: bool, hint: dict[str, Any]) -> FieldSpec:
    """Build one FieldSpec from a property schema and its hints."""
    kind = _kind_of(sub, hint)
    default = sub.get("default", "")
    spec = FieldSpec(
        key=key,
        label=str(sub.get("title", key)),
        kind=kind,
        required=required,
        help=str(sub.get("description", "")),
        placeholder=_default_text(hint.get("placeholder")),
        minimum=sub.get("minimum"),
        maximum=sub.get("maximum"),
        max_length=sub.get("maxLength") if kind in TEXT_LIMITS else None,
        pattern=str(sub.get("pattern", "")),
        default=number_text(default) if isinstance(default, int | float) else str(default),
        max_items=sub.get("maxItems") if kind in ("checkboxes", "file", "repeat") else None,
        label_en=_other_text(hint.get("label")),
        help_en=_other_text(hint.get("help")),
        placeholder_en=_other_text(hint.get("placeholder")),
    )
    if kind in (*CHOICE_KINDS, "checkboxes"):
        spec.options = _options(sub, hint)
        labels = hint.get("options", {})
        spec.options_en = {
            v: _other_text(labels.get(v)) for v, _t in spec.options if _other_text(labels.get(v))
        }
    if kind == "file":
        spec.accept = list(sub["x-file"].get("accept", []))
        spec.max_size_mb = round(sub["x-file"].get("maxSize", 0) / (1024 * 1024), 2)
    if kind == "repeat":
        spec.required = bool(sub.get("minItems"))
    return spec
