"""Compile an untrusted JSON Schema 2020-12 subset (+ UI hints) into a field tree.

Every check is collected into one :class:`SchemaError`. Size and depth are measured with an
iterative walk before anything recursive runs; patterns are compiled with RE2 only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import re2  # type: ignore[import-untyped, unused-ignore]
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema_specifications import (  # type: ignore[import-untyped, unused-ignore]
    REGISTRY as SPECS,
)
from referencing import Registry

from .formats import CHECKERS, FORMAT_MAX_LENGTH
from .messages import OVERRIDABLE
from .model import (
    WIDGETS,
    Activation,
    FileSpec,
    IfTest,
    Kind,
    Node,
    Problem,
    exact,
    json_equal,
    valid_text,
)

MAX_BYTES: Final = 256 * 1024
MAX_JSON_DEPTH: Final = 32
MAX_OBJECT_DEPTH: Final = 3
MAX_PROPERTIES: Final = 200
MAX_PATTERN: Final = 512
MAX_OPTIONS: Final = 500
DEFAULT_FILE_MAX_SIZE: Final = 10 * 1024 * 1024
FILE_REF_MAX_LENGTH: Final = 512
SCHEMA_URI: Final = "https://json-schema.org/draft/2020-12/schema"

MAX_OBJECTS: Final = 5000


def _flat_meta_schema() -> dict[str, Any]:
    """The 2020-12 meta-schema with its vocabularies merged and ``$dynamicRef`` → ``$ref``.

    Same constraints as ``Draft202012Validator.META_SCHEMA`` for the documents a form can
    hold, but validated several times faster (dynamic scope resolution dominates otherwise),
    which bounds the compile time of a hostile 256 KB schema.
    """
    base = "https://json-schema.org/draft/2020-12/meta/"
    vocabularies = (
        "core",
        "applicator",
        "unevaluated",
        "validation",
        "meta-data",
        "format-annotation",
        "content",
    )
    props: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for vocabulary in vocabularies:
        contents = SPECS.contents(base + vocabulary)
        props.update(contents.get("properties", {}))
        defs.update(contents.get("$defs", {}))
    props.update(Draft202012Validator.META_SCHEMA.get("properties", {}))

    def fix(value: Any) -> Any:
        """Rewrite one schema (keys are keywords)."""
        if isinstance(value, list):
            return [fix(item) for item in value]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "$dynamicRef" and item == "#meta":
                out["$ref"] = "#"
            elif key == "$ref" and isinstance(item, str) and "#/$defs/" in item:
                # The legacy keywords (dependencies, $recursiveRef…) point into another
                # vocabulary ("meta/validation#/$defs/stringArray"); the $defs are merged here.
                out["$ref"] = item[item.index("#") :]
            elif key in ("$dynamicAnchor", "$id", "$schema", "$vocabulary"):
                continue
            elif key in ("properties", "$defs") and isinstance(item, dict):
                out[key] = fix_map(item)
            else:
                out[key] = fix(item)
        return out

    def fix_map(value: dict[str, Any]) -> dict[str, Any]:
        """Rewrite a map of names to schemas (keys are names, kept as they are)."""
        return {name: fix(item) for name, item in value.items()}

    return {"type": ["object", "boolean"], "properties": fix_map(props), "$defs": fix_map(defs)}


# An empty registry: a reference the flattening missed fails (a test checks there is none)
# instead of jsonschema's default of trying to fetch it as a URL.
_META = Draft202012Validator(_flat_meta_schema(), registry=Registry())

ANNOTATIONS: Final = frozenset(
    {"title", "description", "examples", "default", "readOnly", "deprecated", "$comment", "$ref"}
)
SCALAR_KW: Final = frozenset({"type", "enum", "const", "oneOf"})
STRING_KW: Final = frozenset({"minLength", "maxLength", "pattern", "format"})
NUMBER_KW: Final = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
ARRAY_KW: Final = frozenset({"type", "items", "minItems", "maxItems", "uniqueItems", "x-file"})
CONDITION_KW: Final = frozenset(
    {"if", "then", "else", "dependentRequired", "dependentSchemas", "dependencies", "allOf"}
)
OBJECT_KW: Final = frozenset({"type", "properties", "required", "additionalProperties"}) | (
    CONDITION_KW
)
ROOT_KW: Final = frozenset({"$schema", "$id", "$defs"})
#: Keywords that only ever constrain objects / arrays (ignored by JSON Schema elsewhere).
OBJECT_ONLY_KW: Final = frozenset(
    {
        "properties",
        "required",
        "additionalProperties",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
    }
)
ARRAY_ONLY_KW: Final = ARRAY_KW - {"type"}
KNOWN_KW: Final = ANNOTATIONS | SCALAR_KW | STRING_KW | NUMBER_KW | ARRAY_KW | OBJECT_KW
UI_TOP: Final = frozenset({"order", "fields", "sections"})
UI_FIELD: Final = frozenset(
    {"widget", "placeholder", "help", "label", "rows", "options", "errors", "order"}
)
RESERVED_PREFIX: Final = "__"
#: Keywords of earlier drafts, refused with their 2020-12 replacement (catalogue keys).
#: ``dependencies`` (draft-07) is read as dependentRequired / dependentSchemas instead.
LEGACY_KW: Final = {
    "definitions": "legacy_definitions",
    "$recursiveRef": "legacy_2019",
    "$recursiveAnchor": "legacy_2019",
}
#: Keywords of a condition inside a scalar field (validation only: the field stays visible).
FIELD_CONDITION_KW: Final = frozenset({"if", "then", "else", "allOf"})


def esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unesc(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer(parts: Iterator[Any] | list[Any] | tuple[Any, ...]) -> str:
    return "".join("/" + esc(str(p)) for p in parts)


def _valid_name(name: str) -> bool:
    if not name or len(name) > 64 or name.startswith(RESERVED_PREFIX):
        return False
    if not (name[0].isascii() and (name[0].isalpha() or name[0] == "_")):
        return False
    return all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in name)


def precheck(doc: Any, base: str, problems: list[Problem]) -> bool:  # noqa: C901 - a branch per schema keyword
    """Iteratively measure size and depth and check JSON types; False stops compilation."""
    size = 0
    objects = 0
    stack: list[tuple[Any, int, str]] = [(doc, 1, base)]
    while stack:
        value, depth, ptr = stack.pop()
        if depth > MAX_JSON_DEPTH:
            problems.append(Problem.of(ptr, "deep", max=MAX_JSON_DEPTH))
            return False
        if isinstance(value, dict):
            size += 2 + len(value)
            objects += 1
            if objects > MAX_OBJECTS:
                problems.append(Problem.of(base, "objects", max=MAX_OBJECTS))
                return False
            for key, item in value.items():
                if not isinstance(key, str):
                    problems.append(Problem.of(ptr, "keys"))
                    return False
                if not valid_text(key):
                    problems.append(Problem.of(ptr, "unicode"))
                    return False
                size += len(key) + 3
                stack.append((item, depth + 1, ptr + "/" + esc(key)))
        elif isinstance(value, list):
            size += 2 + len(value)
            for i, item in enumerate(value):
                stack.append((item, depth + 1, f"{ptr}/{i}"))
        elif isinstance(value, str):
            if not valid_text(value):
                problems.append(Problem.of(ptr, "unicode"))
                return False
            size += len(value) + 2
        elif value is None or isinstance(value, bool | int):
            size += 5
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                problems.append(Problem.of(ptr, "finite"))
                return False
            size += 8
        else:
            problems.append(Problem.of(ptr, "not_json", type=type(value).__name__))
            return False
        if size > MAX_BYTES:
            problems.append(Problem.of(base, "size", max=MAX_BYTES // 1024))
            return False
    return True


def canonical_json(schema: Any, ui: Any) -> str:
    return json.dumps(
        [schema, ui], sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _scan_refs(doc: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        value, ptr = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "$ref":
                    out.append((ptr + "/$ref", item))
                stack.append((item, ptr + "/" + esc(key)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                stack.append((item, f"{ptr}/{i}"))
    out.sort()
    return out


def _scalar_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _one_type(typ: Any) -> Any:
    """A type list of one name is that name (``["string"]`` means ``"string"``)."""
    if isinstance(typ, list) and len(typ) == 1 and isinstance(typ[0], str):
        return typ[0]
    return typ


def _type_accepts(kind: str, value: Any) -> bool:
    vt = _scalar_type(value)
    if vt is None:
        return False
    if kind == "number":
        return vt in ("integer", "number")
    if kind == "integer":
        return vt == "integer" or (vt == "number" and float(value).is_integer())
    return vt == kind


def _satisfies(key: str, limit: Any, value: Any) -> bool:
    """Whether an option meets an item constraint (a malformed limit is the meta-schema's)."""
    try:
        if key == "minLength":
            return not isinstance(value, str) or len(value) >= limit
        if key == "maxLength":
            return not isinstance(value, str) or len(value) <= limit
        if key == "pattern":
            return not isinstance(value, str) or compile_re2(limit).search(value) is not None
        if key == "format":
            return not isinstance(value, str) or limit not in CHECKERS or CHECKERS[limit](value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True
        number, bound = exact(value), exact(limit)
        if key == "multipleOf":
            return (number / bound).denominator == 1
        return {
            "minimum": number >= bound,
            "maximum": number <= bound,
            "exclusiveMinimum": number > bound,
            "exclusiveMaximum": number < bound,
        }.get(key, True)
    except (TypeError, ValueError, ZeroDivisionError, re2.error):
        return True


class _TooMany(Exception):
    pass


class Compiler:
    def __init__(self, schema: Any, ui: Any) -> None:
        self.schema = schema
        self.ui_doc = ui
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.defs: dict[str, Any] = {}
        self.bad_refs: set[str] = set()
        self.used_defs: set[str] = set()
        self.count = 0
        self.by_key: dict[str, Node] = {}
        self.root: Node | None = None
        # (object node, required name, pointer, fields declared by the same branch or None)
        self.pending: list[tuple[Node, str, str, set[str] | None]] = []

    def problem(self, ptr: str, code: str, /, **params: object) -> None:
        self.problems.append(Problem.of(ptr, code, **params))

    def warn(self, ptr: str, code: str, /, **params: object) -> None:
        """Something accepted but worth telling the administrator (shown in the review)."""
        self.warnings.append(Problem.of(ptr, code, **params))

    # ---------------------------------------------------------------- entry point
    def run(self) -> Node | None:
        schema = self.schema
        for err in _META.iter_errors(schema):
            where = pointer(list(err.absolute_path))
            self.problem(where, "meta", detail=err.message[:200])
        if not isinstance(schema, dict):
            self.problem("", "root_object")
            return None
        if _one_type(schema.get("type", "object")) != "object" or "properties" not in schema:
            self.problem("/type", "root_shape")
        if "$schema" in schema and schema["$schema"] not in (SCHEMA_URI, SCHEMA_URI + "#"):
            self.problem("/$schema", "draft", uri=SCHEMA_URI)
        defs = schema.get("$defs", {})
        if isinstance(defs, dict):
            self.defs = defs
        self._check_refs()
        try:
            root = self.field(schema, "", "", (), 0, False, root=True)
        except _TooMany:
            self.problem("/properties", "too_many_fields", max=MAX_PROPERTIES)
            return None
        self._check_unused_defs()
        if root is not None and root.kind != "object":
            return None
        self.root = root
        if root is not None:
            self._apply_ui(root)
        return root

    def _check_unused_defs(self) -> None:
        """Definitions nobody references must still be inside the subset."""
        for name, target in self.defs.items():
            if name in self.used_defs:
                continue
            saved = self.count
            self.count = 0
            try:
                self.field(target, "/$defs/" + esc(name), "def", ("def",), 1, False)
            except _TooMany:
                self.problem("/$defs/" + esc(name), "too_many_fields", max=MAX_PROPERTIES)
            self.count = saved

    # ---------------------------------------------------------------- $ref
    def _check_refs(self) -> None:
        graph: dict[str, list[tuple[str, str]]] = {}
        for ptr, ref in _scan_refs(self.schema):
            bad = self._ref_problem(ref)
            if bad:
                self.problem(ptr, bad[0], **bad[1])
                self.bad_refs.add(ptr)
                continue
            assert isinstance(ref, str)
            if ptr.startswith("/$defs/"):
                owner = unesc(ptr.split("/")[2])
                graph.setdefault(owner, []).append((unesc(ref[len("#/$defs/") :]), ptr))
        # cycles among definitions
        state: dict[str, int] = {}

        def visit(name: str, trail: list[str]) -> None:
            state[name] = 1
            for target, ptr in graph.get(name, []):
                if state.get(target) == 1:
                    cycle = " -> ".join([*trail[trail.index(target) :], target])
                    self.problem(ptr, "ref_cycle", cycle=cycle)
                    self.bad_refs.add(ptr)
                elif state.get(target) is None:
                    visit(target, [*trail, target])
            state[name] = 2

        for name in sorted(graph):
            if state.get(name) is None:
                visit(name, [name])

    def _ref_problem(self, ref: Any) -> tuple[str, dict[str, object]] | None:
        """The catalogue key and parameters of what is wrong with a ``$ref``, if anything."""
        if not isinstance(ref, str):
            return "ref_string", {}
        low = ref.lower()
        if low.startswith(("http:", "https:", "//")):
            return "ref_remote", {"ref": ref[:100]}
        if low.startswith("file:"):
            return "ref_file", {"ref": ref[:100]}
        if not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/") :]:
            return "ref_local", {"ref": ref[:100]}
        name = unesc(ref[len("#/$defs/") :])
        if name not in self.defs:
            return "ref_unknown", {"name": name[:100]}
        return None

    def _resolve(self, sch: Any, sptr: str) -> tuple[Any, str]:
        hops = 0
        while isinstance(sch, dict) and "$ref" in sch:
            if sptr + "/$ref" in self.bad_refs or hops > 16:
                return None, sptr
            name = unesc(sch["$ref"][len("#/$defs/") :])
            self.used_defs.add(name)
            rest = {k: v for k, v in sch.items() if k != "$ref"}
            target = self.defs[name]
            if not isinstance(target, dict):
                self.problem("/$defs/" + esc(name), "def_object")
                return None, sptr
            for key in sorted(set(rest) & set(target) - ANNOTATIONS):
                if not json_equal(rest[key], target[key]):
                    # JSON Schema applies both; overriding would loosen the definition
                    self.problem(f"{sptr}/{esc(key)}", "ref_conflict", key=key, name=name)
            sch = {**target, **rest}
            sptr = "/$defs/" + esc(name)
            hops += 1
        return sch, sptr

    # ---------------------------------------------------------------- fields
    def field(  # noqa: C901 - a branch per schema keyword
        self,
        raw: Any,
        sptr: str,
        name: str,
        segs: tuple[str, ...],
        depth: int,
        in_array: bool,
        root: bool = False,
    ) -> Node | None:
        sch, sptr = self._resolve(raw, sptr)
        if sch is None:
            return None
        if not isinstance(sch, dict):
            self.problem(sptr, "field_object")
            return None
        if not root:
            self.count += 1
            if self.count > MAX_PROPERTIES:
                raise _TooMany
        allowed = KNOWN_KW | (ROOT_KW if root else frozenset())
        for key in sch:
            if key not in allowed:
                if key in ROOT_KW:
                    self.problem(f"{sptr}/{esc(key)}", "root_only", key=key)
                elif key in LEGACY_KW:
                    self.problem(f"{sptr}/{esc(key)}", LEGACY_KW[key], key=key)
                else:
                    self.problem(f"{sptr}/{esc(key)}", "unsupported", key=key)
        typ = _one_type(sch.get("type"))
        if typ is None:
            typ = self._infer_type(sch)
        elif "type" in sch and typ != sch["type"]:
            sch = {**sch, "type": typ}  # ["string"] is "string"
        if typ == ["unknown"]:
            self.problem(sptr, self._why_no_type(sch))
            return None
        if not isinstance(typ, str):
            self.problem(f"{sptr}/type", "type_list")
            return None
        if typ in ("string", "integer", "number", "boolean"):
            return self._scalar(sch, sptr, name, segs, typ)
        if typ == "object":
            if depth > MAX_OBJECT_DEPTH:
                self.problem(sptr, "too_deep", max=MAX_OBJECT_DEPTH)
                return None
            node = Node(name, segs, sptr, "object", sch, widget="fieldset")
            self._object(node, sch, sptr, depth, in_array)
            return node
        if typ == "array":
            return self._array(sch, sptr, name, segs, depth, in_array)
        self.problem(f"{sptr}/type", "type_null" if typ == "null" else "type_unknown", type=typ)
        return None

    def _infer_type(self, sch: dict[str, Any]) -> Any:
        values: list[Any] = []
        if isinstance(sch.get("enum"), list):
            values = list(sch["enum"])
        elif "const" in sch:
            values = [sch["const"]]
        elif isinstance(sch.get("oneOf"), list):
            values = [o.get("const") for o in sch["oneOf"] if isinstance(o, dict)]
        elif "properties" in sch:
            return "object"
        elif "items" in sch:
            return "array"
        types = {_scalar_type(v) for v in values}
        if types == {"integer", "number"}:
            return "number"
        if len(types) == 1 and None not in types:
            return types.pop()
        return ["unknown"]

    @staticmethod
    def _why_no_type(sch: dict[str, Any]) -> str:
        """The catalogue key that says why no type follows from a field's options."""
        values: list[Any] = []
        if isinstance(sch.get("enum"), list):
            values = sch["enum"]
            if not values:
                return "enum_empty"
        elif "const" in sch:
            values = [sch["const"]]
        if any(v is None for v in values):
            return "option_null"
        if any(isinstance(v, dict | list) for v in values):
            return "option_kind"
        return "no_type"

    def _options(
        self, sch: dict[str, Any], sptr: str, typ: str
    ) -> tuple[list[tuple[Any, str | None]], bool]:
        opts: list[tuple[Any, str | None]] = []
        has = False
        if "enum" in sch and isinstance(sch["enum"], list):
            has = True
            opts = [(v, None) for v in sch["enum"]]
            where = f"{sptr}/enum"
        elif "oneOf" in sch:
            has = True
            where = f"{sptr}/oneOf"
            one = sch["oneOf"]
            if not isinstance(one, list):
                return [], True
            for i, item in enumerate(one):
                if (
                    not isinstance(item, dict)
                    or "const" not in item
                    or not set(item)
                    <= {
                        "const",
                        "title",
                        "description",
                        "$comment",
                    }
                ):
                    self.problem(f"{where}/{i}", "one_of")
                    continue
                title = item.get("title")
                opts.append((item["const"], title if isinstance(title, str) else None))
        elif "const" in sch:
            has = True
            where = f"{sptr}/const"
            opts = [(sch["const"], None)]
        else:
            return [], False
        if len(opts) > MAX_OPTIONS:
            self.problem(where, "too_many_options", max=MAX_OPTIONS)
            return [], True
        seen: set[tuple[str | None, Any]] = set()
        for i, (value, _) in enumerate(opts):
            if not _type_accepts(typ, value):
                self.problem(f"{where}/{i}", "option_type", value=repr(value)[:100], type=typ)
            elif value == "":
                self.problem(f"{where}/{i}", "option_empty")
            vt = _scalar_type(value)
            # Numbers compare by value (1 == 1.0, and hash alike); float() would overflow on
            # an integer beyond the float range. Other values (any JSON) by their repr.
            key = ("number", value) if vt in ("integer", "number") else (vt, repr(value))
            if key in seen:
                self.problem(f"{where}/{i}", "option_duplicate")
            seen.add(key)
        return opts, has

    def _scalar(
        self, sch: dict[str, Any], sptr: str, name: str, segs: tuple[str, ...], typ: str
    ) -> Node:
        kind: Kind = typ  # type: ignore[assignment]
        node = Node(name, segs, sptr, kind, sch)
        bad = ARRAY_ONLY_KW | OBJECT_ONLY_KW
        if typ != "string":
            bad = bad | STRING_KW
        if typ not in ("integer", "number"):
            bad = bad | NUMBER_KW
        # JSON Schema ignores a keyword for values of another type; so does a typed field.
        for key in sorted(set(sch) & bad):
            self.warn(f"{sptr}/{esc(key)}", "warn_not_applicable", key=key, type=typ)
        ignored = set(sch) & bad
        self._field_conditions(sch, sptr, typ)
        if ignored:
            node.schema = sch = {k: v for k, v in sch.items() if k not in ignored}
        node.options, node.has_enum = self._options(sch, sptr, typ)
        self._check_constraints(sch, sptr)
        if typ == "string":
            fmt = sch.get("format")
            if isinstance(fmt, str) and fmt in CHECKERS:
                node.fmt = fmt
            if not node.has_enum and "maxLength" not in sch and node.fmt is None:
                self.problem(sptr, "max_length")
        if "default" in sch and not self._default_ok(node, sch["default"]):
            self.problem(f"{sptr}/default", "default", type=typ)
        node.widget = self._default_widget(node)
        return node

    def _field_conditions(self, sch: dict[str, Any], sptr: str, typ: str) -> None:  # noqa: C901 - a branch per schema keyword
        """Check the if/then/else and allOf inside a scalar field (they only validate it)."""
        if "if" not in sch and ("then" in sch or "else" in sch):
            self.warn(sptr, "warn_without_if", key="then/else")
        elif "if" in sch and "then" not in sch and "else" not in sch:
            self.warn(f"{sptr}/if", "warn_never_fails", key="if")
        allowed = (SCALAR_KW | ANNOTATIONS | FIELD_CONDITION_KW) - {"$ref", "oneOf"}
        if typ == "string":
            allowed = allowed | STRING_KW
        if typ in ("integer", "number"):
            allowed = allowed | NUMBER_KW
        stack: list[tuple[Any, str]] = []
        for key in ("if", "then", "else"):
            if key in sch:
                stack.append((sch[key], f"{sptr}/{key}"))
        if isinstance(sch.get("allOf"), list):
            stack.extend((item, f"{sptr}/allOf/{i}") for i, item in enumerate(sch["allOf"]))
        elif "allOf" in sch:
            self.problem(f"{sptr}/allOf", "all_of_item")
        while stack:
            sub, where = stack.pop()
            if isinstance(sub, bool):
                continue
            if not isinstance(sub, dict):
                self.problem(where, "field_object")
                continue
            for key in sorted(set(sub) - allowed):
                self.problem(f"{where}/{esc(key)}", "field_condition", key=key, type=typ)
            self._check_constraints(sub, where)
            for key in ("if", "then", "else"):
                if key in sub:
                    stack.append((sub[key], f"{where}/{key}"))
            if isinstance(sub.get("allOf"), list):
                stack.extend((item, f"{where}/allOf/{i}") for i, item in enumerate(sub["allOf"]))

    def _check_constraints(self, sch: dict[str, Any], where: str) -> None:
        """The checks a constraint needs wherever it is written (pattern, format, multipleOf)."""
        fmt = sch.get("format")
        if fmt is not None and (not isinstance(fmt, str) or fmt not in CHECKERS):
            known = ", ".join(sorted(CHECKERS))
            self.problem(f"{where}/format", "format_unknown", format=fmt, known=known)
        pattern = sch.get("pattern")
        if isinstance(pattern, str):
            self._check_pattern(pattern, f"{where}/pattern")
        mult = sch.get("multipleOf")
        if isinstance(mult, int | float) and not isinstance(mult, bool) and mult <= 0:
            self.problem(f"{where}/multipleOf", "multiple_positive")

    def _default_ok(self, node: Node, value: Any) -> bool:
        if not _type_accepts(node.kind, value):
            return False
        return not node.options or any(json_equal(value, v) for v, _ in node.options)

    def _check_pattern(self, pattern: str, where: str) -> None:
        if len(pattern) > MAX_PATTERN:
            self.problem(where, "pattern_long", max=MAX_PATTERN)
            return
        try:
            compile_re2(pattern)
        except re2.error as exc:
            detail = exc.args[0] if exc.args else ""
            if isinstance(detail, bytes):
                detail = detail.decode("utf-8", "replace")
            self.problem(where, "pattern_re2", detail=str(detail)[:120])

    @staticmethod
    def _default_widget(node: Node) -> str:
        if node.kind == "boolean":
            return "checkbox"
        if node.has_enum:
            return "radio" if len(node.options) <= 4 else "select"
        if node.kind in ("integer", "number"):
            return "number"
        fmt_widget = {
            "date": "date",
            "date-time": "datetime",
            "time": "time",
            "email": "email",
            "uri": "url",
            "phone": "tel",
        }
        if node.fmt:
            return fmt_widget.get(node.fmt, "text")
        max_length = node.schema.get("maxLength")
        if isinstance(max_length, int) and max_length > 255:
            return "textarea"
        return "text"

    def _array(  # noqa: C901 - a branch per schema keyword
        self,
        sch: dict[str, Any],
        sptr: str,
        name: str,
        segs: tuple[str, ...],
        depth: int,
        in_array: bool,
    ) -> Node | None:
        for key in sorted((set(sch) & KNOWN_KW) - ARRAY_KW - ANNOTATIONS - OBJECT_ONLY_KW):
            if key not in STRING_KW | NUMBER_KW:  # enum, oneOf, if, allOf… apply to arrays
                self.problem(f"{sptr}/{esc(key)}", "unsupported", key=key)
        ignored = set(sch) & (STRING_KW | NUMBER_KW | OBJECT_ONLY_KW)
        for key in sorted(ignored):
            self.warn(f"{sptr}/{esc(key)}", "warn_not_applicable", key=key, type="array")
        if ignored:
            sch = {k: v for k, v in sch.items() if k not in ignored}
        items_raw = sch.get("items")
        if items_raw is None:
            self.problem(sptr, "array_items")
            return None
        items, iptr = self._resolve(items_raw, sptr + "/items")
        if not isinstance(items, dict):
            if items is not None:
                self.problem(sptr + "/items", "items_object")
            return None
        max_items = sch.get("maxItems")
        if "x-file" in sch:
            return self._file(sch, sptr, name, segs, items, iptr, in_array)
        ityp = _one_type(items.get("type")) or self._infer_type(items)
        if ityp == "object":
            if not isinstance(max_items, int):
                self.problem(sptr, "group_max")
            if in_array:
                self.problem(sptr, "group_nested")
                return None
            if depth > MAX_OBJECT_DEPTH:
                self.problem(sptr, "too_deep", max=MAX_OBJECT_DEPTH)
                return None
            node = Node(name, segs, sptr, "object_array", sch, widget="group")
            node.max_items = max_items if isinstance(max_items, int) else None
            self.count -= 1  # the item object is counted by its properties
            item = self.field(items_raw, sptr + "/items", "", (*segs, "*"), depth, True)
            if item is None or item.kind != "object":
                return None
            node.children = item.children
            node.child_map = item.child_map
            node.required = item.required
            node.prune_order = item.prune_order
            node.schema = {**sch, "items": item.schema}
            node.ui = {}
            setattr(node, "item", item)  # noqa: B010
            return node
        if ityp in ("string", "integer", "number", "boolean"):
            opts, has = self._options(items, iptr, str(ityp))
            items = self._enum_item_keywords(items, iptr, str(ityp), opts)
            if not has:
                self.problem(iptr, "items_enum")
                return None
            node = Node(name, segs, sptr, "enum_array", sch, item_type=str(ityp))
            setattr(node, "item_rules", items)  # noqa: B010
            node.options = opts
            node.has_enum = True
            node.widget = "checkboxes"
            node.max_items = max_items if isinstance(max_items, int) else None
            if "default" in sch:
                dflt = sch["default"]
                if not isinstance(dflt, list) or not all(
                    any(json_equal(d, v) for v, _ in opts) for d in dflt
                ):
                    self.problem(f"{sptr}/default", "default_options")
            return node
        self.problem(sptr + "/items", "items_kind")
        return None

    def _enum_item_keywords(
        self, items: dict[str, Any], iptr: str, typ: str, opts: list[tuple[Any, str | None]]
    ) -> dict[str, Any]:
        """Item constraints beside the options: redundant (a warning) unless an option fails.

        Returns the constraints kept for validation (they never reject a listed option).
        """
        applicable = STRING_KW if typ == "string" else NUMBER_KW if typ != "boolean" else set()
        rules: dict[str, Any] = {}
        for key in sorted(set(items) - SCALAR_KW - ANNOTATIONS):
            where = f"{iptr}/{esc(key)}"
            if key in FIELD_CONDITION_KW or key in ("$defs", "$schema", "$id"):
                self.problem(where, "unsupported", key=key)
            elif key not in applicable:
                self.warn(where, "warn_not_applicable", key=key, type=typ)
            else:
                self._check_constraints({key: items[key]}, iptr)
                failing = [v for v, _ in opts if not _satisfies(key, items[key], v)]
                for value in failing[:5]:
                    self.problem(where, "option_fails", value=repr(value)[:100], key=key)
                if not failing:
                    self.warn(where, "warn_enum_items", key=key)
                rules[key] = items[key]
        return rules

    def _file(
        self,
        sch: dict[str, Any],
        sptr: str,
        name: str,
        segs: tuple[str, ...],
        items: dict[str, Any],
        iptr: str,
        in_array: bool,
    ) -> Node | None:
        spec = sch["x-file"]
        where = sptr + "/x-file"
        if in_array:
            self.problem(sptr, "file_in_group")
        if items.get("type") != "string" or not set(items) <= {"type", "maxLength", "$comment"}:
            self.problem(iptr, "file_items")
        if not isinstance(sch.get("maxItems"), int):
            self.problem(sptr, "file_max")
        accept: tuple[str, ...] = ()
        max_size = DEFAULT_FILE_MAX_SIZE
        if not isinstance(spec, dict):
            self.problem(where, "file_spec")
        else:
            for key in spec:
                if key not in ("accept", "maxSize"):
                    self.problem(f"{where}/{esc(key)}", "file_key", key=key)
            acc = spec.get("accept", [])
            if not isinstance(acc, list) or not all(
                isinstance(a, str) and 0 < len(a) <= 100 and "," not in a for a in acc
            ):
                self.problem(f"{where}/accept", "file_accept")
            else:
                accept = tuple(acc)
            size = spec.get("maxSize", DEFAULT_FILE_MAX_SIZE)
            if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
                self.problem(f"{where}/maxSize", "file_size")
            else:
                max_size = size
        node = Node(name, segs, sptr, "file", sch, widget="file")
        node.file = FileSpec(accept, max_size)
        mi = sch.get("maxItems")
        node.max_items = mi if isinstance(mi, int) else None
        return node

    # ---------------------------------------------------------------- objects
    def _object(  # noqa: C901 - a branch per schema keyword
        self, node: Node, sch: dict[str, Any], sptr: str, depth: int, in_array: bool
    ) -> None:
        for key in sorted((set(sch) & KNOWN_KW) - OBJECT_KW - ANNOTATIONS - ROOT_KW):
            if key in STRING_KW | NUMBER_KW | ARRAY_ONLY_KW:
                self.warn(f"{sptr}/{esc(key)}", "warn_not_applicable", key=key, type="object")
            else:  # enum, const, oneOf apply to objects too
                self.problem(f"{sptr}/{esc(key)}", "unsupported", key=key)
        if "additionalProperties" in sch and sch["additionalProperties"] is not False:
            self.problem(f"{sptr}/additionalProperties", "additional")
        props = sch.get("properties", {})
        if not isinstance(props, dict):
            return
        for pname, psch in props.items():
            self._declare(node, pname, psch, f"{sptr}/properties/{esc(pname)}", depth, in_array)
        req = sch.get("required", [])
        if isinstance(req, list):
            for i, r in enumerate(req):
                if not isinstance(r, str) or r not in node.child_map:
                    self.problem(f"{sptr}/required/{i}", "required_unknown", name=r)
                else:
                    node.required.add(r)
                    node.child_map[r].branch_required = True
        blocks: list[tuple[dict[str, Any], str]] = []
        if any(k in sch for k in CONDITION_KW - {"allOf"}):
            blocks.append((sch, sptr))
        all_of = sch.get("allOf", [])
        if isinstance(all_of, list):
            for i, item in enumerate(all_of):
                where = f"{sptr}/allOf/{i}"
                if not isinstance(item, dict):
                    self.problem(where, "all_of_item")
                    continue
                extra = set(item) - {
                    "if",
                    "then",
                    "else",
                    "dependentRequired",
                    "dependentSchemas",
                    "dependencies",
                    "required",
                    "$comment",
                }
                for key in sorted(extra):
                    self.problem(f"{where}/{esc(key)}", "all_of_key", key=key)
                blocks.append((item, where))
        conds: list[dict[str, Any]] = []
        refs: list[tuple[str, str]] = []  # (name, pointer) to check after declarations
        for block, where in blocks:
            conds.append(self._block(node, block, where, depth, in_array, refs))
        for name, where in refs:
            if not isinstance(name, str) or name not in node.child_map:
                self.problem(where, "condition_unknown", name=name)
        for _owner, name, where, own in [p for p in self.pending if p[0] is node]:
            target = node.child_map.get(name)
            if target is None or not target.activations or (own is not None and name in own):
                continue
            self.problem(where, "conditional_elsewhere", name=name)
        self.pending = [p for p in self.pending if p[0] is not node]
        setattr(node, "conds", conds)  # noqa: B010
        self._order_visibility(node, sptr)
        self._place_conditionals(node)

    @staticmethod
    def _place_conditionals(node: Node) -> None:
        """Show each conditional field right after the fields that control it."""
        fixed = [c for c in node.children if not c.activations]
        placed = list(fixed)
        for child in node.children:
            if not child.activations:
                continue
            ctl: set[str] = set()
            for act in child.activations:
                ctl |= act.controllers()
            positions = [i for i, c in enumerate(placed) if c.name in ctl]
            at = (max(positions) + 1) if positions else len(placed)
            while at < len(placed) and placed[at].activations:
                at += 1
            placed.insert(at, child)
        node.children[:] = placed

    def _declare(
        self,
        node: Node,
        pname: Any,
        psch: Any,
        where: str,
        depth: int,
        in_array: bool,
        activation: Activation | None = None,
    ) -> Any:
        """Declare a field; in a branch, a field declared at the top is tightened instead.

        Returns the tightening schema to validate while the branch applies (or None).
        """
        if not isinstance(pname, str) or not _valid_name(pname):
            self.problem(where, "field_name")
            return None
        if psch is False and pname not in node.child_map:
            # JSON Schema: never present. additionalProperties false already says so.
            self.warn(where, "warn_never_allowed", name=pname)
            return None
        if pname in node.child_map:
            existing = node.child_map[pname]
            if activation is None:
                self.problem(where, "branch_differs", name=pname)
            elif not existing.activations:
                return self._tighten(existing, psch, where)
            elif not json_equal(getattr(existing, "raw", None), psch):
                self.problem(where, "branch_differs", name=pname)
            else:
                existing.activations.append(activation)
            return None
        child = self.field(psch, where, pname, (*node.segs, pname), depth + 1, in_array)
        if child is None:
            return None
        setattr(child, "raw", psch)  # noqa: B010
        if activation is not None:
            child.activations.append(activation)
        node.children.append(child)
        node.child_map[pname] = child
        return None

    def _tighten(self, field: Node, sch: Any, where: str) -> Any:
        """A branch's extra constraints on a field declared at the top (validated, not shown)."""
        name = field.name
        if sch is True:
            return None
        if not isinstance(sch, dict):
            self.problem(where, "refine_schema", name=name)
            return None
        json_type = {"enum_array": "array", "object_array": "array", "file": "array"}.get(
            field.kind, field.kind
        )
        allowed = set(ANNOTATIONS - {"$ref"}) | {"type"}
        if field.kind in ("string", "integer", "number", "boolean"):
            allowed |= (SCALAR_KW - {"oneOf"}) | FIELD_CONDITION_KW
            allowed |= STRING_KW if field.kind == "string" else set()
            allowed |= NUMBER_KW if field.kind in ("integer", "number") else set()
        elif json_type == "array":
            allowed |= {"minItems", "maxItems"}
        else:
            allowed |= {"required"}
        bad = sorted(set(sch) - allowed)
        for key in bad:
            self.problem(f"{where}/{esc(key)}", "refine_key", name=name, type=json_type, key=key)
        typ = _one_type(sch.get("type", json_type))
        if typ != json_type and not (typ == "number" and json_type == "integer"):
            self.problem(f"{where}/type", "refine_type", name=name, type=json_type)
            return None
        required = sch.get("required", [])
        if isinstance(required, list):
            for i, r in enumerate(required):
                if r not in field.child_map:
                    self.problem(f"{where}/required/{i}", "required_unknown", name=r)
        self._check_constraints(sch, where)
        if field.kind in ("string", "integer", "number", "boolean"):
            self._field_conditions(sch, where, field.kind)
        return None if bad else sch

    def _block(  # noqa: C901 - a branch per schema keyword
        self,
        node: Node,
        block: dict[str, Any],
        where: str,
        depth: int,
        in_array: bool,
        refs: list[tuple[str, str]],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "if" in block:
            test = self._if(block["if"], f"{where}/if", refs)
            out["if"] = block["if"]
            for key, positive in (("then", True), ("else", False)):
                if key in block:
                    act = Activation(test, positive) if test is not None else None
                    out[key] = self._branch(
                        node, block[key], f"{where}/{key}", depth, in_array, act, refs
                    )
        elif "then" in block or "else" in block:
            self.warn(where, "warn_without_if", key="then/else")
        # draft-07 dependencies: a list of names is dependentRequired, a schema dependentSchemas
        legacy = block.get("dependencies")
        names_of: list[tuple[str, Any, str]] = []
        branches: list[tuple[str, Any, str]] = []
        for source in ("dependentRequired", "dependentSchemas", "dependencies"):
            entries = block.get(source)
            if not isinstance(entries, dict):
                continue
            for key, value in entries.items():
                at = f"{where}/{source}/{esc(key)}"
                if source == "dependentRequired" or (
                    source == "dependencies" and isinstance(value, list)
                ):
                    names_of.append((key, value, at))
                else:
                    branches.append((key, value, at))
        if isinstance(legacy, dict) and legacy:
            self.warn(f"{where}/dependencies", "warn_dependencies")
        seen: dict[str, str] = {}
        dreq: dict[str, Any] = {}
        for key, names, at in names_of:
            refs.append((key, at))
            if key in seen:
                self.problem(at, "dependency_twice", name=key, other=seen[key])
            seen[key] = at
            if isinstance(names, list):
                for i, n in enumerate(names):
                    refs.append((n, f"{at}/{i}"))
                    if isinstance(n, str):
                        self.pending.append((node, n, f"{at}/{i}", None))
            dreq[key] = names
        if dreq:
            out["dependentRequired"] = dreq
        seen = {}
        emitted: dict[str, Any] = {}
        for key, branch, at in branches:
            refs.append((key, at))
            if key in seen:
                self.problem(at, "dependency_twice", name=key, other=seen[key])
            seen[key] = at
            if branch is True:
                continue
            if branch is False:  # the key field may not be given at all
                emitted[key] = False
                continue
            act = Activation(None, True, present=key)
            emitted[key] = self._branch(node, branch, at, depth, in_array, act, refs)
        if emitted:
            out["dependentSchemas"] = emitted
        req = block.get("required")
        if isinstance(req, list) and block is not node.schema:
            for i, r in enumerate(req):
                refs.append((r, f"{where}/required/{i}"))
            out["required"] = req
        return out

    def _if(self, sch: Any, where: str, refs: list[tuple[str, str]]) -> IfTest | None:
        if not isinstance(sch, dict) or not set(sch) <= {"properties", "required", "$comment"}:
            self.problem(where, "if_shape")
            return None
        props = sch.get("properties", {})
        req = sch.get("required", [])
        if not isinstance(props, dict) or not isinstance(req, list) or not (props or req):
            self.problem(where, "if_shape")
            return None
        values: list[tuple[str, tuple[Any, ...]]] = []
        for name, test in props.items():
            tw = f"{where}/properties/{esc(name)}"
            refs.append((name, tw))
            if not isinstance(test, dict) or not set(test) <= {"const", "enum", "$comment"}:
                self.problem(tw, "if_shape")
                continue
            if "const" in test:
                allowed: tuple[Any, ...] = (test["const"],)
            elif isinstance(test.get("enum"), list):
                allowed = tuple(test["enum"])
            else:
                self.problem(tw, "if_shape")
                continue
            if any(_scalar_type(v) is None for v in allowed):
                self.problem(tw, "if_scalar")
                continue
            values.append((name, allowed))
        for i, r in enumerate(req):
            if isinstance(r, str):
                refs.append((r, f"{where}/required/{i}"))
        return IfTest(tuple(values), tuple(r for r in req if isinstance(r, str)))

    def _branch(
        self,
        node: Node,
        branch: Any,
        where: str,
        depth: int,
        in_array: bool,
        act: Activation | None,
        refs: list[tuple[str, str]],
    ) -> dict[str, Any]:
        if not isinstance(branch, dict) or not set(branch) <= {
            "properties",
            "required",
            "$comment",
        }:
            self.problem(where, "branch_shape")
            return {}
        props = branch.get("properties", {})
        out: dict[str, Any] = {}
        if isinstance(props, dict):
            for pname, psch in props.items():
                pw = f"{where}/properties/{esc(pname)}"
                if act is None:
                    continue
                tighter = self._declare(node, pname, psch, pw, depth, in_array, act)
                if tighter is not None:
                    out.setdefault("properties", {})[pname] = tighter
        req = branch.get("required", [])
        if isinstance(req, list) and req:
            own = set(props) if isinstance(props, dict) else set()
            for i, r in enumerate(req):
                refs.append((r, f"{where}/required/{i}"))
                if isinstance(r, str):
                    self.pending.append((node, r, f"{where}/required/{i}", own))
                if (
                    isinstance(r, str)
                    and isinstance(props, dict)
                    and r in props
                    and r in node.child_map
                    and node.child_map[r].activations
                ):
                    node.child_map[r].branch_required = True
            out["required"] = list(req)
        return out

    def _order_visibility(self, node: Node, sptr: str) -> None:
        deps: dict[str, set[str]] = {}
        for child in node.children:
            ctl: set[str] = set()
            for act in child.activations:
                ctl |= act.controllers()
            deps[child.name] = {c for c in ctl if c in node.child_map}
            for act in child.activations:
                if act.test is None:
                    continue
                for c, _ in act.test.values:
                    controller = node.child_map.get(c)
                    if controller is not None and controller.kind not in (
                        "string",
                        "integer",
                        "number",
                        "boolean",
                    ):
                        self.problem(child.spointer, "if_controller", name=c)
        order: list[Node] = []
        done: set[str] = set()
        pending = list(node.children)
        while pending:
            progressed = False
            for child in list(pending):
                if deps[child.name] - {child.name} <= done and child.name not in deps[child.name]:
                    order.append(child)
                    done.add(child.name)
                    pending.remove(child)
                    progressed = True
            if not progressed:
                names = ", ".join(sorted(c.name for c in pending))
                self.problem(sptr, "cycle", names=names)
                order.extend(pending)
                break
        node.prune_order = order

    # ---------------------------------------------------------------- UI hints
    def _index(self, node: Node) -> None:
        for child in node.children:
            key = ".".join(s for s in child.segs if s != "*")
            self.by_key[key] = child
            self._index(child)

    def _apply_ui(self, root: Node) -> None:
        ui = self.ui_doc
        self._index(root)
        if ui is None:
            return
        if not isinstance(ui, dict):
            self.problem("/ui", "ui_object")
            return
        for key in ui:
            if key not in UI_TOP:
                self.problem(f"/ui/{esc(key)}", "ui_top", key=key)
        self._order_list(root, ui.get("order"), "/ui/order")
        fields = ui.get("fields", {})
        if not isinstance(fields, dict):
            self.problem("/ui/fields", "ui_fields")
            fields = {}
        for key, hints in fields.items():
            where = f"/ui/fields/{esc(key)}"
            target = self.by_key.get(key)
            if target is None:
                self.problem(where, "ui_unknown_field", name=key)
                continue
            if not isinstance(hints, dict):
                self.problem(where, "ui_field_object")
                continue
            self._field_ui(target, hints, where)
        sections = ui.get("sections")
        if sections is not None:
            self._sections(root, sections)

    def _text(self, value: Any, where: str) -> None:
        if isinstance(value, str):
            return
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            return
        self.problem(where, "ui_text")

    def _order_list(self, node: Node, order: Any, where: str) -> None:
        if order is None:
            return
        if not isinstance(order, list):
            self.problem(where, "ui_order")
            return
        seen: set[str] = set()
        for i, name in enumerate(order):
            if not isinstance(name, str) or name not in node.child_map:
                self.problem(f"{where}/{i}", "ui_unknown_field", name=name)
            elif name in seen:
                self.problem(f"{where}/{i}", "ui_twice", name=name)
            else:
                seen.add(name)
        ordered = [node.child_map[n] for n in order if isinstance(n, str) and n in node.child_map]
        rest = [c for c in node.children if c.name not in seen]
        node.children[:] = list(dict.fromkeys(ordered + rest))

    def _field_ui(self, node: Node, hints: dict[str, Any], where: str) -> None:  # noqa: C901 - a branch per schema keyword
        for key, value in hints.items():
            kw = f"{where}/{esc(key)}"
            if key not in UI_FIELD:
                self.problem(kw, "ui_hint", key=key)
            elif key in ("placeholder", "help", "label"):
                self._text(value, kw)
            elif key == "rows":
                if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 50:
                    self.problem(kw, "ui_rows")
            elif key == "widget":
                allowed = WIDGETS[node.kind]
                if value not in allowed:
                    self.problem(
                        kw, "ui_widget", widget=value, kind=node.kind, allowed=", ".join(allowed)
                    )
                elif value in ("select", "radio") and not node.has_enum and node.kind != "boolean":
                    self.problem(kw, "ui_widget_options", widget=value)
                elif value == "datetime" and node.fmt != "date-time":
                    self.problem(kw, "ui_widget_format", widget=value, format="date-time")
                elif value in ("date", "time") and node.fmt != value:
                    self.problem(kw, "ui_widget_format", widget=value, format=value)
                else:
                    node.widget = value
            elif key == "options":
                if not isinstance(value, dict):
                    self.problem(kw, "ui_options")
                    continue
                known = {
                    "true" if v is True else "false" if v is False else str(v)
                    for v, _ in node.options
                }
                if node.kind == "boolean":
                    known |= {"true", "false"}
                for opt, label in value.items():
                    if opt not in known:
                        self.problem(f"{kw}/{esc(opt)}", "ui_option_unknown", value=opt)
                    else:
                        self._text(label, f"{kw}/{esc(opt)}")
            elif key == "errors":
                if not isinstance(value, dict):
                    self.problem(kw, "ui_errors")
                    continue
                for ek, text in value.items():
                    if ek not in OVERRIDABLE:
                        self.problem(f"{kw}/{esc(ek)}", "ui_error_unknown", key=ek)
                    else:
                        self._text(text, f"{kw}/{esc(ek)}")
            elif key == "order":
                if node.kind not in ("object", "object_array"):
                    self.problem(kw, "ui_order_groups")
                else:
                    self._order_list(node, value, kw)
                    item = getattr(node, "item", None)
                    if isinstance(item, Node):
                        item.children[:] = node.children
        node.ui = {k: v for k, v in hints.items() if k in UI_FIELD}

    def _sections(self, root: Node, sections: Any) -> None:
        if not isinstance(sections, list):
            self.problem("/ui/sections", "ui_sections")
            return
        seen: set[str] = set()
        clean: list[dict[str, Any]] = []
        for i, sec in enumerate(sections):
            where = f"/ui/sections/{i}"
            if not isinstance(sec, dict):
                self.problem(where, "ui_section")
                continue
            for key in sec:
                if key not in ("title", "description", "fields"):
                    self.problem(f"{where}/{esc(key)}", "ui_section_key", key=key)
            if "title" in sec:
                self._text(sec["title"], f"{where}/title")
            if "description" in sec:
                self._text(sec["description"], f"{where}/description")
            names = sec.get("fields")
            if not isinstance(names, list) or not names:
                self.problem(f"{where}/fields", "ui_section_fields")
                continue
            for j, name in enumerate(names):
                if not isinstance(name, str) or name not in root.child_map:
                    self.problem(f"{where}/fields/{j}", "ui_unknown_field", name=name)
                elif name in seen:
                    self.problem(f"{where}/fields/{j}", "ui_section_twice", name=name)
                else:
                    seen.add(name)
            clean.append(sec)
        setattr(root, "sections", clean)  # noqa: B010


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_CACHE: dict[str, Any] = {}


#: ECMAScript's long names of Unicode general categories → RE2's short ones (\\p{Letter}).
_CATEGORIES: Final = {
    "Letter": "L",
    "Uppercase_Letter": "Lu",
    "Lowercase_Letter": "Ll",
    "Titlecase_Letter": "Lt",
    "Modifier_Letter": "Lm",
    "Other_Letter": "Lo",
    "Mark": "M",
    "Combining_Mark": "M",
    "Nonspacing_Mark": "Mn",
    "Spacing_Mark": "Mc",
    "Enclosing_Mark": "Me",
    "Number": "N",
    "Decimal_Number": "Nd",
    "digit": "Nd",
    "Letter_Number": "Nl",
    "Other_Number": "No",
    "Punctuation": "P",
    "punct": "P",
    "Connector_Punctuation": "Pc",
    "Dash_Punctuation": "Pd",
    "Open_Punctuation": "Ps",
    "Close_Punctuation": "Pe",
    "Initial_Punctuation": "Pi",
    "Final_Punctuation": "Pf",
    "Other_Punctuation": "Po",
    "Symbol": "S",
    "Math_Symbol": "Sm",
    "Currency_Symbol": "Sc",
    "Modifier_Symbol": "Sk",
    "Other_Symbol": "So",
    "Separator": "Z",
    "Space_Separator": "Zs",
    "Line_Separator": "Zl",
    "Paragraph_Separator": "Zp",
    "Other": "C",
    "Control": "Cc",
    "cntrl": "Cc",
    "Format": "Cf",
    "Surrogate": "Cs",
    "Private_Use": "Co",
    "Unassigned": "Cn",
}


def re2_syntax(pattern: str) -> str:
    """``pattern`` (ECMAScript, as JSON Schema says) in RE2's syntax for property escapes.

    RE2 knows ``\\p{L}`` and scripts (``\\p{Greek}``) but not the long category names nor
    the ``gc=``/``sc=`` prefixes that ECMAScript's unicode mode allows; other escapes stay.
    """
    if "\\p{" not in pattern and "\\P{" not in pattern:
        return pattern
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch != "\\" or i + 1 >= len(pattern):
            out.append(ch)
            i += 1
            continue
        nxt = pattern[i + 1]
        end = pattern.find("}", i + 2)
        if nxt in "pP" and pattern.startswith("{", i + 2) and end > 0:
            name = pattern[i + 3 : end]
            for prefix in ("General_Category=", "gc=", "Script=", "sc="):
                if name.startswith(prefix):
                    name = name[len(prefix) :]
            out.append(f"\\{nxt}{{{_CATEGORIES.get(name, name)}}}")
            i = end + 1
            continue
        out.append(pattern[i : i + 2])
        i += 2
    return "".join(out)


def compile_re2(pattern: str) -> Any:
    compiled = _RE2_CACHE.get(pattern)
    if compiled is None:
        compiled = re2.compile(re2_syntax(pattern), _RE2_OPTIONS)
        if len(_RE2_CACHE) > 2048:
            _RE2_CACHE.clear()
        _RE2_CACHE[pattern] = compiled
    return compiled


# ---------------------------------------------------------------- validation schema
def emit(node: Node) -> dict[str, Any]:  # noqa: C901 - a branch per schema keyword
    """The engine's own validation schema for a node (refs inlined, engine rules applied)."""
    s = node.schema
    if node.kind == "object":
        props = {c.name: emit(c) for c in node.children}
        out: dict[str, Any] = {
            "type": "object",
            "properties": props,
            "additionalProperties": False,
        }
        if node.required:
            out["required"] = [c.name for c in node.children if c.name in node.required]
        conds = [c for c in getattr(node, "conds", []) if c]
        if conds:
            out["allOf"] = conds
        return out
    if node.kind == "object_array":
        item = getattr(node, "item", None)
        assert isinstance(item, Node)
        out = {"type": "array", "items": emit(item), "minItems": max(1, s.get("minItems", 1))}
        for key in ("maxItems", "uniqueItems"):
            if key in s:
                out[key] = s[key]
        return out
    if node.kind == "enum_array":
        out = {
            "type": "array",
            "items": {"enum": [v for v, _ in node.options]},
            "uniqueItems": True,
            "minItems": max(1, s.get("minItems", 1)),
        }
        if node.item_type:
            out["items"]["type"] = node.item_type
        out["items"].update(getattr(node, "item_rules", {}))
        if "maxItems" in s:
            out["maxItems"] = s["maxItems"]
        return out
    if node.kind == "file":
        max_len = s.get("items", {}).get("maxLength", FILE_REF_MAX_LENGTH)
        out = {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": max_len},
            "minItems": max(1, s.get("minItems", 1)),
        }
        if "maxItems" in s:
            out["maxItems"] = s["maxItems"]
        return out
    out = {"type": node.kind}
    if node.has_enum:
        if "const" in s and "enum" not in s and "oneOf" not in s:
            out["const"] = s["const"]
        else:
            out["enum"] = [v for v, _ in node.options]
    for key in sorted((STRING_KW | NUMBER_KW) & set(s)):
        if key != "format" or node.fmt:
            out[key] = s[key]
    if "if" in s:  # a condition on the field's own value (then/else alone mean nothing)
        out.update({k: s[k] for k in ("if", "then", "else") if k in s})
    if "allOf" in s:
        out["allOf"] = s["allOf"]
    if node.kind == "string":
        out["minLength"] = max(1, s.get("minLength", 1))
        if node.fmt and "maxLength" not in s:
            out["maxLength"] = FORMAT_MAX_LENGTH[node.fmt]
    return out
