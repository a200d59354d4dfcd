"""The compiled form: prune, parse, validate, render, describe."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
    ValidationError,
    validators,
)
from markupsafe import Markup

from .compiler import Compiler, canonical_json, compile_re2, emit, pointer, precheck
from .dates import read_date, with_zone
from .formats import FORMAT_CHECKER
from .messages import LOCALES, human_size, localized, message, norm_locale, substitute
from .model import (
    Field,
    Node,
    Problem,
    SchemaError,
    decimal_text,
    encode_scalar,
    exact,
    valid_text,
)
from .render import Renderer

CACHE_SIZE: Final = 256
MAX_ROWS: Final = 1000
ROW_MARK: Final = "__row"
ROW_REMOVE: Final = "__remove"
INDEX: Final = "__INDEX__"
TRUE_WORDS: Final = frozenset({"true", "on", "1", "yes", "si", "sí"})
FALSE_WORDS: Final = frozenset({"false", "off", "0", "no"})
_NUM_CHARS: Final = frozenset("0123456789.eE+-")
#: Messages said otherwise to a person typing in a form than to a JSON client.
TYPED_KEYS: Final = frozenset({"format.date", "format.date-time"})
#: The problem added when the compiler fails in a way no check anticipated (never expected:
#: the fuzz tests assert it never appears).
UNANTICIPATED: Final = "the schema has an unsupported structure"


def _re2_pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and compile_re2(pattern).search(instance) is None:
        yield ValidationError("does not match the pattern")


def _multiple_of(
    validator: Any, divisor: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """``multipleOf`` in exact decimal arithmetic: ``1234.56`` is a multiple of ``0.01``.

    Binary floating point says it is not (``1234.56 / 0.01`` is ``123455.99999999999``); both
    numbers are read as the decimals they were written as. Never overflows either.
    """
    if not validator.is_type(instance, "number") or not _is_number(None, divisor):
        return
    if (exact(instance) / exact(divisor)).denominator != 1:
        yield ValidationError(f"not a multiple of {divisor}")


def _bound(keyword: str) -> Any:
    """A ``minimum``/``maximum``/``exclusive*`` check on the exact decimal values."""

    def check(
        validator: Any, limit: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if not validator.is_type(instance, "number") or not _is_number(None, limit):
            return
        value, bound = exact(instance), exact(limit)
        ok = {
            "minimum": value >= bound,
            "maximum": value <= bound,
            "exclusiveMinimum": value > bound,
            "exclusiveMaximum": value < bound,
        }[keyword]
        if not ok:
            yield ValidationError(f"{keyword} {limit}")

    return check


def _is_text(checker: Any, instance: Any) -> bool:
    """A string UTF-8 can hold: a JSON "\\ud800" is not text (RE2 and storage need UTF-8)."""
    return isinstance(instance, str) and valid_text(instance)


def _is_number(checker: Any, instance: Any) -> bool:
    """A finite number: Python's json (so an API) reads NaN and Infinity, which JSON lacks."""
    return (
        isinstance(instance, int | float)
        and not isinstance(instance, bool)
        and (isinstance(instance, int) or math.isfinite(instance))
    )


def _is_integer(checker: Any, instance: Any) -> bool:
    return _is_number(checker, instance) and (isinstance(instance, int) or instance.is_integer())


FormValidator: Any = validators.extend(
    validators.Draft202012Validator,
    {
        "pattern": _re2_pattern,
        "multipleOf": _multiple_of,
        **{kw: _bound(kw) for kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")},
    },
    type_checker=validators.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"string": _is_text, "number": _is_number, "integer": _is_integer}
    ),
)


# ------------------------------------------------------------------ helpers
def _getter(formdata: Any) -> tuple[Any, list[str]]:
    if formdata is None:
        return (lambda name: []), []
    if hasattr(formdata, "getlist"):
        keys = [k for k in formdata if isinstance(k, str)]
        return (lambda name: [v for v in formdata.getlist(name) if isinstance(v, str)]), keys

    def get(name: str) -> list[str]:
        value = formdata.get(name)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list | tuple):
            return [v for v in value if isinstance(v, str)]
        return []

    return get, [k for k in formdata if isinstance(k, str)]


def parse_number(text: str, integer: bool) -> int | float | str:
    """Parse a number typed by a person; unparseable text is returned unchanged."""
    s = text.strip()
    if "," in s and "." not in s and s.count(",") == 1:
        s = s.replace(",", ".")
    if not s or len(s) > 400 or not s.isascii():
        return text
    body = s[1:] if s[0] in "+-" else s
    if body.isdigit():
        return int(s)
    if not all(ch in _NUM_CHARS for ch in s):
        return text
    try:
        value = float(s)
    except ValueError:
        return text
    if value != value or value in (float("inf"), float("-inf")):
        return text
    if integer and value.is_integer():
        return int(value)
    return value


def _parse_bool(text: str) -> bool | str:
    low = text.strip().lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS or low == "":
        return False
    return text


def _convert(node: Node, text: str, item_type: str | None = None) -> Any:
    typ = item_type or node.kind
    if typ in ("integer", "number"):
        return parse_number(text, typ == "integer")
    if typ == "boolean":
        return _parse_bool(text)
    return text


#: How a form's text is read: the language of its dates, the zone of its date-times.
_Reading = tuple[str | None, str | None]


def _text(node: Node, text: str, reading: _Reading) -> Any:
    """One scalar input's value: typed numbers, booleans, ISO dates, zoned date-times."""
    if node.kind == "string" and node.fmt in ("date", "date-time"):
        locale, zone = reading
        if node.fmt == "date-time":
            return with_zone(text, zone)
        day = read_date(text, locale)
        return day.isoformat() if day is not None else text
    return _convert(node, text)


def _limit(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return decimal_text(value)
    return str(value)


def _is_index(text: str) -> bool:
    """An array position; a longer digit string is an object key (int() refuses > 4300 digits)."""
    return len(text) <= 9 and text.isascii() and text.isdigit()


def _ptr_segments(ptr: str) -> list[str]:
    if not ptr:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]


class CompiledForm:
    """A schema compiled once: use :func:`compile_form` to get a cached instance."""

    def __init__(self, schema: dict[str, Any], ui: dict[str, Any] | None, digest: str) -> None:
        compiler = Compiler(schema, ui)
        try:
            root = compiler.run()
        except (TypeError, AttributeError, KeyError, ValueError, IndexError):
            # malformed input the checks above did not anticipate: still a SchemaError
            compiler.problems.append(Problem.of("", "unanticipated"))
            root = None
        if compiler.problems or root is None:
            unique = list(dict.fromkeys(compiler.problems))
            raise SchemaError(unique or [Problem.of("", "invalid")])
        self.schema = schema
        self.ui = ui
        self.hash = digest
        self.root = root
        #: Accepted but worth showing to the administrator (redundant or ignored keywords…).
        self.warnings: list[Problem] = list(dict.fromkeys(compiler.warnings))
        self.sections: list[dict[str, Any]] = list(getattr(root, "sections", []))
        self.validation_schema: dict[str, Any] = emit(root)
        self._validator: Any = FormValidator(self.validation_schema, format_checker=FORMAT_CHECKER)
        self._by_path: dict[str, Node] = {}
        self._position: dict[int, int] = {}
        self._index(root)
        self._described: tuple[Field, ...] | None = None
        title = schema.get("title")
        self.title: str | None = title if isinstance(title, str) else None

    def _index(self, node: Node) -> None:
        for child in node.children:
            self._by_path[child.path] = child
            self._position[id(child)] = len(self._position)
            self._index(child)

    # -------------------------------------------------------------- lookup
    def node(self, ptr: str) -> Node | None:
        """The field node for an instance pointer (array indices allowed)."""
        node: Node | None = self.root
        segs: list[str] = []
        for seg in _ptr_segments(ptr):
            if node is None:
                return None
            if node.kind == "object_array" and _is_index(seg):
                segs.append("*")
                continue
            if node.kind in ("enum_array", "file"):
                break
            node = node.child_map.get(seg)
            segs.append(seg)
        return node

    def _field_ptr(self, parts: list[Any]) -> str:
        """Truncate an instance path to the pointer of the field it concerns."""
        node = self.root
        out: list[str] = []
        for seg in parts:
            if node.kind == "object_array" and isinstance(seg, int):
                out.append(str(seg))
                continue
            if node.kind in ("enum_array", "file"):
                break
            child = node.child_map.get(str(seg))
            out.append(str(seg))
            if child is None:
                break
            node = child
        return pointer(out)

    def label(self, ptr: str, locale: str = "es") -> str:
        node = self.node(ptr)
        if node is None:
            segments = _ptr_segments(ptr)
            return segments[-1] if segments else self.title or ""
        if node is self.root:
            return self.title or ""
        text = node.title(locale)
        parts = _ptr_segments(ptr)
        numbers = [int(p) + 1 for p in parts if _is_index(p)]
        if numbers and node.segs and "*" in node.segs:
            return f"{text} ({numbers[0]})"
        return text

    def option_label(self, ptr: str, value: Any, locale: str = "es") -> str:
        node = self.node(ptr)
        if node is None:
            return encode_scalar(value)
        return node.option_label(value, locale)

    # -------------------------------------------------------------- prune
    def prune(self, instance: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``instance`` without the fields hidden by a condition (hidden means gone)."""
        return self._prune_obj(self.root, instance)

    def _prune_obj(self, node: Node, obj: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(obj)
        for child in node.prune_order:
            if child.name not in out:
                continue
            if child.activations and not child.visible_in(out):
                del out[child.name]
                continue
            value = out[child.name]
            if child.kind == "object" and isinstance(value, Mapping):
                out[child.name] = self._prune_obj(child, value)
            elif child.kind == "object_array" and isinstance(value, list):
                out[child.name] = [
                    self._prune_obj(child, row) if isinstance(row, Mapping) else row
                    for row in value
                ]
        return out

    def normalize(self, instance: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical instance a form submission would produce for ``instance``.

        Hidden fields removed, visible groups present (possibly empty), unchecked single
        checkboxes ``false``. ``parse(to_form_data(x)) == x`` holds for canonical valid ``x``.
        """
        return self.prune(self._normalize_obj(self.root, instance))

    def _normalize_obj(self, node: Node, obj: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(obj)
        for child in node.children:
            present = child.name in out
            value = out.get(child.name)
            if child.kind == "object" and (not present or isinstance(value, Mapping)):
                out[child.name] = self._normalize_obj(child, value or {})
            elif child.kind == "object_array" and isinstance(value, list):
                out[child.name] = [
                    self._normalize_obj(child, row) if isinstance(row, Mapping) else row
                    for row in value
                ]
            elif child.kind == "boolean" and child.widget == "checkbox" and not present:
                out[child.name] = False
        return out

    # -------------------------------------------------------------- parse
    def parse(
        self,
        formdata: Any,
        files: Any = None,
        prefix: str = "cf",
        *,
        locale: str | None = None,
        zone: str | None = None,
    ) -> dict[str, Any]:
        """Rebuild a typed instance from form data (empty inputs absent; hidden fields gone).

        ``files`` is accepted for symmetry and not used: uploads are read with
        :meth:`uploads` and their stored references added by the application.
        With ``locale``, dates typed in the language's pattern (``19/12/2026``) are stored
        ISO; with ``zone`` (an IANA name), ``datetime-local`` values get that zone's offset.
        Text that is no date is kept as typed (validation then says so).
        """
        get, keys = _getter(formdata)
        data = self._parse_obj(self.root, get, keys, f"{prefix}-", (locale, zone))
        return self.prune(data)

    def _parse_obj(  # noqa: C901 - a branch per schema keyword
        self, node: Node, get: Any, keys: list[str], base: str, reading: _Reading
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in node.children:
            name = base + child.name
            kind = child.kind
            if kind == "object":
                out[child.name] = self._parse_obj(child, get, keys, name + ".", reading)
            elif kind == "object_array":
                rows = self._parse_rows(child, get, keys, name + ".", reading)
                if rows:
                    out[child.name] = rows
            elif kind == "enum_array":
                values = [_convert(child, v, child.item_type) for v in get(name) if v != ""]
                if values:
                    out[child.name] = values
            elif kind == "file":
                refs = [v for v in get(name) if v != ""]
                if refs:
                    out[child.name] = refs
            elif kind == "boolean":
                values = [v for v in get(name) if v != ""]
                if values:
                    out[child.name] = _parse_bool(values[-1])
                elif child.widget == "checkbox":
                    out[child.name] = False
            else:
                for v in get(name):
                    if v != "":
                        out[child.name] = _text(child, v, reading)
                        break
        return out

    def _parse_rows(
        self, node: Node, get: Any, keys: list[str], base: str, reading: _Reading
    ) -> list[dict[str, Any]]:
        indices: dict[int, list[str]] = {}
        for key in keys:
            if key.startswith(base):
                head = key[len(base) :].split(".", 1)[0]
                if _is_index(head) and len(head) <= 6:
                    indices.setdefault(int(head), []).append(key)
        rows: list[dict[str, Any]] = []
        for index in sorted(indices)[:MAX_ROWS]:
            rbase = f"{base}{index}."
            if any(_parse_bool(v) is True for v in get(rbase + ROW_REMOVE)):
                continue
            marked = bool(get(rbase + ROW_MARK))
            content = any(
                v != ""
                for key in indices[index]
                if key not in (rbase + ROW_MARK, rbase + ROW_REMOVE)
                for v in get(key)
            )
            if marked or content:
                rows.append(self._parse_obj(node, get, keys, rbase, reading))
        return rows

    # -------------------------------------------------------------- to_form_data
    def to_form_data(self, instance: Mapping[str, Any], prefix: str = "cf") -> dict[str, list[str]]:
        """The form data that :meth:`parse` turns back into ``instance``."""
        out: dict[str, list[str]] = {}
        self._encode_obj(self.root, instance, f"{prefix}-", out)
        return out

    def _encode_obj(
        self, node: Node, obj: Mapping[str, Any], base: str, out: dict[str, list[str]]
    ) -> None:
        for child in node.children:
            if child.name not in obj:
                continue
            value = obj[child.name]
            name = base + child.name
            if child.kind == "object":
                if isinstance(value, Mapping):
                    self._encode_obj(child, value, name + ".", out)
            elif child.kind == "object_array":
                if isinstance(value, list):
                    for i, row in enumerate(value):
                        if isinstance(row, Mapping):
                            rbase = f"{name}.{i}."
                            out[rbase + ROW_MARK] = ["1"]
                            self._encode_obj(child, row, rbase, out)
            elif child.kind in ("enum_array", "file"):
                if isinstance(value, list):
                    out[name] = [encode_scalar(v) for v in value]
            elif not isinstance(value, dict | list) and value is not None:
                out[name] = [encode_scalar(value)]

    # -------------------------------------------------------------- files
    def uploads(
        self, files: Any, prefix: str = "cf", values: Mapping[str, Any] | None = None
    ) -> dict[str, list[Any]]:
        """Uploaded file objects (with a non-empty ``filename``) per file-field pointer.

        With ``values`` (the parsed instance), fields hidden by a condition are skipped.
        """
        out: dict[str, list[Any]] = {}
        if files is None:
            return out
        for node in self._by_path.values():
            if node.kind != "file" or "*" in node.segs:
                continue
            if values is not None and not self._visible_path(node, values):
                continue
            name = f"{prefix}-{node.dotted}"
            if hasattr(files, "getlist"):
                objs = list(files.getlist(name))
            else:
                raw = files.get(name) if isinstance(files, Mapping) else None
                objs = list(raw) if isinstance(raw, list | tuple) else [] if raw is None else [raw]
            objs = [o for o in objs if getattr(o, "filename", None)]
            if objs:
                out[node.path] = objs
        return out

    def file_errors(
        self,
        files: Any,
        prefix: str = "cf",
        locale: str = "es",
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, list[str]]:
        """Check uploads against ``accept`` and ``maxSize`` (by MIME type/extension and size)."""
        errors: dict[str, list[str]] = {}
        for ptr, objs in self.uploads(files, prefix, values).items():
            node = self._by_path[ptr]
            assert node.file is not None
            for obj in objs:
                fname = str(getattr(obj, "filename", ""))
                mime = str(getattr(obj, "mimetype", "") or getattr(obj, "content_type", ""))
                if node.file.accept and not _accepts(node.file.accept, fname, mime):
                    errors.setdefault(ptr, []).append(
                        message("ui.file_type", locale, {"name": fname})
                    )
                size = _size_of(obj)
                if size is not None and size > node.file.max_size:
                    errors.setdefault(ptr, []).append(
                        message(
                            "ui.file_size",
                            locale,
                            {"name": fname, "size": human_size(node.file.max_size)},
                        )
                    )
        return errors

    def _visible_path(self, node: Node, values: Mapping[str, Any]) -> bool:
        """Whether ``node`` and every group above it are shown for ``values``."""
        obj: Any = self.prune(values)
        current = self.root
        for seg in node.segs:
            child = current.child_map.get(seg)
            if child is None:
                return True
            if child.activations and not (isinstance(obj, Mapping) and child.visible_in(obj)):
                return False
            obj = obj.get(seg, {}) if isinstance(obj, Mapping) else {}
            current = child
        return True

    # -------------------------------------------------------------- validate
    def validate(
        self, instance: Any, locale: str = "es", *, typed: bool = False
    ) -> dict[str, list[str]]:
        """Errors keyed by the pointer of the field to fix ("" = form level); {} when valid.

        ``typed``: the instance comes from :meth:`parse` (a person's form), so a bad date
        is explained in the form's pattern (dd/mm/aaaa), not as the ISO text JSON needs.
        """
        if not isinstance(instance, Mapping):
            return {"": [message("not_object", locale)]}
        data = self.prune(instance)
        errors: dict[str, list[str]] = {}
        for err in self._validator.iter_errors(data):
            for ptr, key, params in self._map_error(err):
                if typed and key in TYPED_KEYS:
                    key += ".typed"
                text = self._message(ptr, key, params, locale)
                bucket = errors.setdefault(ptr, [])
                if text not in bucket:
                    bucket.append(text)
        return dict(sorted(errors.items(), key=self._sort_key))

    def _sort_key(self, item: tuple[str, list[str]]) -> tuple[int, list[int], str]:
        ptr = item[0]
        node = self.node(ptr)
        position = self._position.get(id(node), len(self._position)) if ptr else -1
        rows = [int(p) for p in _ptr_segments(ptr) if _is_index(p)]
        return position, rows, ptr

    def is_valid(self, instance: Any) -> bool:
        return isinstance(instance, Mapping) and self._validator.is_valid(self.prune(instance))

    def _map_error(self, err: ValidationError) -> list[tuple[str, str, dict[str, Any]]]:
        kw = str(err.validator)
        parts = list(err.absolute_path)
        inst = err.instance
        value = err.validator_value
        if kw == "required" and isinstance(inst, Mapping) and isinstance(value, list):
            return [(self._field_ptr([*parts, n]), "required", {}) for n in value if n not in inst]
        if kw == "dependentRequired" and isinstance(inst, Mapping) and isinstance(value, dict):
            return [
                (self._field_ptr([*parts, d]), "required", {})
                for prop, deps in value.items()
                if prop in inst
                for d in deps
                if d not in inst
            ]
        if kw == "additionalProperties" and isinstance(inst, Mapping):
            props = err.schema.get("properties", {}) if isinstance(err.schema, Mapping) else {}
            return [
                (pointer([*parts, k]), "additionalProperties", {}) for k in inst if k not in props
            ]
        ptr = self._field_ptr(parts)
        if kw == "type":
            return [(ptr, f"type.{value}", {})]
        if kw == "format":
            return [(ptr, f"format.{value}", {})]
        if kw == "const":
            return [(ptr, "const", {"value": encode_scalar(value)})]
        if kw in ("enum", "pattern", "uniqueItems"):
            return [(ptr, kw, {})]
        return [(ptr, kw, {"limit": _limit(value)})]

    def _message(self, ptr: str, key: str, params: dict[str, Any], locale: str) -> str:
        limit = params.get("limit")
        if isinstance(limit, str) and norm_locale(locale) == "es":
            params = {**params, "limit": limit.replace(".", ",")}  # 0,5 in Spanish
        node = self.node(ptr)
        if node is not None:
            overrides = node.ui.get("errors")
            if isinstance(overrides, dict):
                text = localized(overrides.get(key.split(".", 1)[0]), locale)
                if text:
                    return substitute(text, params)
        return message(key, locale, params)

    # -------------------------------------------------------------- describe
    def describe(self) -> list[Field]:
        # A compiled form never changes: its fields are described once (a new list each call).
        if self._described is None:
            out: list[Field] = []
            self._describe(self.root, out)
            self._described = tuple(out)
        return list(self._described)

    def _describe(self, node: Node, out: list[Field]) -> None:
        types = {"enum_array": "array", "object_array": "array"}
        for child in node.children:
            out.append(
                Field(
                    path=child.path,
                    name=child.name,
                    type=types.get(child.kind, child.kind),
                    format=child.fmt,
                    labels={loc: child.title(loc) for loc in LOCALES},
                    options=[
                        (v, {loc: child.option_label(v, loc) for loc in LOCALES})
                        for v, _ in child.options
                    ],
                    required=child.branch_required,
                    widget=child.widget,
                    conditional=child.conditional,
                    repeated="*" in child.segs,
                    read_only=child.schema.get("readOnly") is True,
                )
            )
            self._describe(child, out)

    # -------------------------------------------------------------- render
    def defaults(self) -> dict[str, Any]:
        """The instance a fresh form starts from (schema defaults)."""
        return self._defaults(self.root)

    def _defaults(self, node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in node.children:
            if child.kind == "object":
                out[child.name] = self._defaults(child)
            elif "default" in child.schema:
                out[child.name] = child.schema["default"]
            elif "const" in child.schema:
                out[child.name] = child.schema["const"]
        return out

    def render(
        self,
        values: Mapping[str, Any] | None = None,
        errors: Mapping[str, list[str]] | None = None,
        locale: str = "es",
        prefix: str = "cf",
        summary: bool = True,
        *,
        zone: str | None = None,
        file_labels: Mapping[str, str] | None = None,
    ) -> Markup:
        """The fields as HTML with values and errors; ``summary``: the errors listed first.

        Dates show in the language's pattern; with ``zone``, date-times in that zone.
        ``file_labels`` names a file field's references (default: the reference itself);
        a ``Markup`` label is put in as it is, plain text is escaped.
        """
        data = self.defaults() if values is None else values
        renderer = Renderer(self, locale, prefix, errors or {}, summary, zone, file_labels)
        return renderer.render(data)

    def summary_items(
        self, errors: Mapping[str, list[str]], locale: str = "es", prefix: str = "cf"
    ) -> list[tuple[str, str, str]]:
        """The errors as (anchor id or "", label, message), for a page's own summary."""
        return Renderer(self, locale, prefix, errors).summary_items()

    def render_form(
        self,
        action: str,
        *,
        values: Mapping[str, Any] | None = None,
        errors: Mapping[str, list[str]] | None = None,
        locale: str = "es",
        hidden: Mapping[str, str] | None = None,
        submit_label: str | None = None,
        prefix: str = "cf",
        zone: str | None = None,
    ) -> Markup:
        parts = [
            Markup(
                '<form method="post" action="{}" novalidate enctype="multipart/form-data" '
                'class="fe-form">'
            ).format(action)
        ]
        for name, value in (hidden or {}).items():
            parts.append(Markup('<input type="hidden" name="{}" value="{}">').format(name, value))
        parts.append(self.render(values, errors, locale, prefix, zone=zone))
        label = submit_label or message("ui.submit", locale)
        parts.append(
            Markup('<button type="submit" class="btn btn-primary">{}</button></form>').format(label)
        )
        return Markup("").join(parts)


def _accepts(accept: Iterable[str], filename: str, mime: str) -> bool:
    low = filename.lower()
    mime = mime.lower().split(";", 1)[0].strip()
    for rule in accept:
        r = rule.lower()
        if r.startswith("."):
            if low.endswith(r):
                return True
        elif r.endswith("/*"):
            if mime.startswith(r[:-1]):
                return True
        elif mime == r:
            return True
    return False


def _size_of(obj: Any) -> int | None:
    length = getattr(obj, "content_length", None)
    if isinstance(length, int) and length > 0:
        return length
    stream = getattr(obj, "stream", obj)
    try:
        pos = stream.tell()
        stream.seek(0, 2)
        size = int(stream.tell())
        stream.seek(pos)
        return size
    except (AttributeError, OSError, ValueError):
        return None


# ------------------------------------------------------------------ cache / entry point
_CACHE: OrderedDict[str, CompiledForm] = OrderedDict()
_LOCK = threading.Lock()


def compile_form(schema: dict[str, Any], ui: dict[str, Any] | None = None) -> CompiledForm:
    """Compile (or fetch from the cache) a form; raises :class:`SchemaError` listing problems."""
    problems: list[Problem] = []
    if not precheck(schema, "", problems) or not precheck(ui, "/ui", problems):
        raise SchemaError(problems)
    try:
        text = canonical_json(schema, ui)
    except (TypeError, ValueError) as exc:
        raise SchemaError([Problem.of("", "serialise", detail=str(exc)[:200])]) from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with _LOCK:
        cached = _CACHE.get(digest)
        if cached is not None:
            _CACHE.move_to_end(digest)
            return cached
    copy = json.loads(json.dumps([schema, ui], ensure_ascii=False))
    form = CompiledForm(copy[0], copy[1], digest)
    with _LOCK:
        _CACHE[digest] = form
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return form


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


__all__ = ["CompiledForm", "compile_form", "clear_cache", "norm_locale"]
