"""The visual field builder's model: a flat list of field specs <-> JSON Schema + UI hints.

The builder covers what an administrator needs without JSON: every field kind the engine
supports, one level of groups and repeatable groups, and "show and require when field X is
Y" conditions on top-level fields. Schemas outside that shape are edited as raw JSON.
"""

from __future__ import annotations

import re
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

    def as_dict(self) -> dict[str, Any]:
        """Return the spec as plain data (for hidden form state and tests)."""
        return asdict(self)


# ---------------------------------------------------------------- fields -> schema


def _number(value: float | None, integer: bool) -> int | float | None:
    """Keep whole numbers as int so the schema reads naturally."""
    if value is None:
        return None
    return int(value) if integer or float(value).is_integer() else float(value)


def _scalar_default(spec: FieldSpec, schema: dict[str, Any]) -> None:
    """Add a typed default when the administrator gave one."""
    if spec.default == "":
        return
    kind = spec.kind
    if kind == "integer":
        schema["default"] = int(spec.default)
    elif kind == "number":
        schema["default"] = float(spec.default)
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


def _ui_hints(spec: FieldSpec) -> dict[str, Any]:
    """Build the UI hints of one field."""
    hints: dict[str, Any] = {}
    widget = {
        "textarea": "textarea",
        "radio": "radio",
        "select": "select",
        "checkboxes": "checkboxes",
    }.get(spec.kind)
    if widget:
        hints["widget"] = widget
    if spec.placeholder:
        hints["placeholder"] = spec.placeholder
    if spec.kind == "checkboxes" and any(t and t != v for v, t in spec.options):
        hints["options"] = {v: t or v for v, t in spec.options}
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
    """Check a default parses as the field's type."""

    if spec.default == "" or spec.kind not in ("integer", "number"):
        return
    try:
        int(spec.default) if spec.kind == "integer" else float(spec.default)
    except ValueError:
        add(i, "default", _("The default must be a number."))


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


def _options(sub: dict[str, Any], hint: dict[str, Any]) -> list[tuple[str, str]]:
    """Read a choice field's options with their labels."""
    labels = hint.get("options", {})
    if "oneOf" in sub:
        return [(str(o["const"]), str(o.get("title", o["const"]))) for o in sub["oneOf"]]
    values = sub.get("enum") or sub.get("items", {}).get("enum", [])
    return [(str(v), str(labels.get(str(v), v))) for v in values]


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
        placeholder=str(hint.get("placeholder", "")),
        minimum=sub.get("minimum"),
        maximum=sub.get("maximum"),
        max_length=sub.get("maxLength") if kind in TEXT_LIMITS else None,
        pattern=str(sub.get("pattern", "")),
        default=str(default).lower() if isinstance(default, bool) else str(default),
        max_items=sub.get("maxItems") if kind in ("checkboxes", "file", "repeat") else None,
    )
    if kind in (*CHOICE_KINDS, "checkboxes"):
        spec.options = _options(sub, hint)
    if kind == "file":
        spec.accept = list(sub["x-file"].get("accept", []))
        spec.max_size_mb = round(sub["x-file"].get("maxSize", 0) / (1024 * 1024), 2)
    if kind == "repeat":
        spec.required = bool(sub.get("minItems"))
    return spec
