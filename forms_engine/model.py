"""The compiled field tree and the visibility conditions (one graph for display and validation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from .messages import localized, message

Kind = Literal[
    "string", "integer", "number", "boolean", "object", "enum_array", "object_array", "file"
]

#: Widgets accepted per kind; the first is the default unless options change it.
WIDGETS: dict[str, tuple[str, ...]] = {
    "string": (
        "text",
        "textarea",
        "select",
        "radio",
        "date",
        "datetime",
        "time",
        "email",
        "url",
        "tel",
        "hidden",
    ),
    "integer": ("number", "select", "radio", "hidden"),
    "number": ("number", "select", "radio", "hidden"),
    "boolean": ("checkbox", "radio", "select", "hidden"),
    "enum_array": ("checkboxes", "multiselect"),
    "file": ("file",),
    "object": ("fieldset",),
    "object_array": ("group",),
}


class Problem:
    """One problem found in a schema or UI hints: a JSON Pointer and a message.

    ``message`` is English (logs, the default); ``text(locale)`` is the catalogue's text in
    the reader's language when the problem has a ``key`` (``messages.SCHEMA_TEXTS``).
    """

    __slots__ = ("pointer", "message", "key", "params")

    def __init__(
        self,
        pointer: str,
        message: str,
        key: str = "",
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.pointer = pointer
        self.message = message
        self.key = key
        self.params = dict(params or {})

    @classmethod
    def of(cls, pointer: str, code: str, /, **params: object) -> Problem:
        """The problem ``schema.<code>`` of the catalogue, with its English message."""
        return cls(pointer, message("schema." + code, "en", params), code, params)

    def text(self, locale: str) -> str:
        """The message in ``locale`` (es or en)."""
        if not self.key:
            return self.message
        return message("schema." + self.key, locale, self.params)

    def localized(self, locale: str) -> Problem:
        """A copy whose ``message`` is in ``locale``."""
        return Problem(self.pointer, self.text(locale), self.key, self.params)

    def __repr__(self) -> str:
        return f"Problem({self.pointer!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.pointer, self.message) == (other.pointer, other.message)

    def __hash__(self) -> int:
        return hash((self.pointer, self.message))

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message}


class SchemaError(ValueError):
    """A schema (or UI hints document) outside the supported, safe subset."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "; ".join(f"{p.pointer or '/'}: {p.message}" for p in problems[:10])
        more = f" (+{len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"invalid form schema: {lines}{more}")

    def localized(self, locale: str) -> list[Problem]:
        """The problems with their messages in ``locale`` (es or en)."""
        return [p.localized(locale) for p in self.problems]


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality (``true`` is not ``1``, ``1`` equals ``1.0``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def valid_text(text: str) -> bool:
    """False for a string holding a lone surrogate: JSON can escape one ("\\ud800"), UTF-8 not."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def exact(value: int | float) -> Fraction:
    """A JSON number as the exact decimal it was written as (``0.01`` is 1/100, not a binary).

    A float is read through its shortest round-trip text (``repr``), which is what a person
    typed or a JSON document held, up to 15 significant digits.
    """
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(value))


def decimal_text(value: int | float) -> str:
    """A number in plain decimal notation (``0.00001``, never ``1e-05``), as HTML wants it."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def encode_scalar(value: Any) -> str:
    """The form-data text of a scalar value (the inverse of the parsers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


@dataclass(frozen=True)
class IfTest:
    """The ``if`` of an if/then/else block: property → allowed values, plus ``required``."""

    values: tuple[tuple[str, tuple[Any, ...]], ...]
    required: tuple[str, ...]

    def matches(self, obj: Mapping[str, Any]) -> bool:
        for name in self.required:
            if name not in obj:
                return False
        for name, allowed in self.values:
            if name in obj and not any(json_equal(obj[name], v) for v in allowed):
                return False
        return True

    def controllers(self) -> set[str]:
        return {n for n, _ in self.values} | set(self.required)

    def to_js(self) -> list[dict[str, Any]]:
        req = set(self.required)
        out: list[dict[str, Any]] = []
        for name, allowed in self.values:
            out.append({"f": name, "in": [encode_scalar(v) for v in allowed], "req": name in req})
        for name in self.required:
            if name not in {n for n, _ in self.values}:
                out.append({"f": name, "present": True})
        return out


@dataclass(frozen=True)
class Activation:
    """When a conditional field is active: an if-branch (then/else) or a dependentSchemas key."""

    test: IfTest | None
    positive: bool  # then (True) / else (False); for dependentSchemas always True
    present: str | None = None  # dependentSchemas key

    def active(self, obj: Mapping[str, Any]) -> bool:
        if self.present is not None:
            return self.present in obj
        assert self.test is not None
        return self.test.matches(obj) is self.positive

    def controllers(self) -> set[str]:
        if self.present is not None:
            return {self.present}
        assert self.test is not None
        return self.test.controllers()

    def to_js(self) -> dict[str, Any]:
        if self.present is not None:
            return {"all": [{"f": self.present, "present": True}], "neg": False}
        assert self.test is not None
        return {"all": self.test.to_js(), "neg": not self.positive}


@dataclass
class FileSpec:
    accept: tuple[str, ...]
    max_size: int


@dataclass(eq=False)
class Node:
    name: str
    segs: tuple[str, ...]  # schema path of the field; "*" stands for an array index
    spointer: str  # JSON Pointer of the field's schema in the schema document
    kind: Kind
    schema: dict[str, Any]
    item_type: str | None = None  # enum arrays: the items' type
    fmt: str | None = None
    options: list[tuple[Any, str | None]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    child_map: dict[str, Node] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    prune_order: list[Node] = field(default_factory=list)
    activations: list[Activation] = field(default_factory=list)  # empty = always visible
    branch_required: bool = False
    file: FileSpec | None = None
    ui: dict[str, Any] = field(default_factory=dict)
    widget: str = "text"
    max_items: int | None = None
    has_enum: bool = False

    @property
    def path(self) -> str:
        return "/" + "/".join(self.segs) if self.segs else ""

    @property
    def dotted(self) -> str:
        return ".".join(self.segs)

    @property
    def conditional(self) -> bool:
        return bool(self.activations)

    @property
    def is_required(self) -> bool:
        return self.branch_required

    def visible_in(self, obj: Mapping[str, Any]) -> bool:
        if not self.activations:
            return True
        return any(a.active(obj) for a in self.activations)

    def title(self, locale: str) -> str:
        text = localized(self.ui.get("label"), locale)
        if text:
            return text
        title = self.schema.get("title")
        if isinstance(title, str) and title:
            return title
        return self.name.replace("_", " ").capitalize() if self.name else ""

    def help(self, locale: str) -> str | None:
        text = localized(self.ui.get("help"), locale)
        if text:
            return text
        desc = self.schema.get("description")
        return desc if isinstance(desc, str) and desc else None

    def option_label(self, value: Any, locale: str) -> str:
        labels = self.ui.get("options")
        if isinstance(labels, dict):
            text = localized(labels.get(encode_scalar(value)), locale)
            if text:
                return text
        for v, title in self.options:
            if json_equal(v, value) and title:
                return title
        if isinstance(value, bool):
            return message("ui.yes" if value else "ui.no", locale)
        return encode_scalar(value)


@dataclass(frozen=True)
class Field:
    """A flat, typed description of one field (for exports, filters and the API)."""

    path: str
    name: str
    type: str
    format: str | None
    labels: dict[str, str]
    options: list[tuple[Any, dict[str, str]]]
    required: bool
    widget: str
    conditional: bool = False
    repeated: bool = False
    read_only: bool = False

    def label(self, locale: str = "es") -> str:
        return localized(self.labels, locale) or self.name

    def option_labels(self, locale: str = "es") -> list[tuple[Any, str]]:
        return [(v, localized(lab, locale) or encode_scalar(v)) for v, lab in self.options]
