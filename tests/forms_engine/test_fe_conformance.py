"""The official JSON Schema Test Suite (draft 2020-12) run through the engine, group by group.

Each group's schema is turned into a form the way an administrator would write it:

- a schema about objects (properties, required, dependent*…) is the form's root; every
  property it names anywhere (or that the test data holds) is declared at the top, typed
  (the type a branch gives it, else the type of its values in the data), so branches
  *tighten* declared fields as in JSON Schema;
- any other schema is the one field of ``{"type": "object", "properties": {"value": …}}``
  and each test's data is ``{"value": data}`` (null stays null: absent is not null);
- what a form field needs and the suite's schema leaves open is added: a ``type`` (from
  the keywords, else the data), a ``maxLength`` bound on free text, the options of a list
  (the scalar values the data's arrays hold).

These additions and the engine's documented implicit rules (additionalProperties false,
non-empty strings and lists, unique options) are constraints *added* to the suite's
schema, so the expected answer of each test is exactly the suite's answer AND the added
constraints (checked by python-jsonschema). A schema the engine refuses must be refused
with a SchemaError; an accepted one must agree on every test, through ``validate()``.

``pytest -s`` prints the table kept in docs/forms.md (``python tests/forms_engine/
test_fe_conformance.py`` prints it alone).
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, validators

from forms_engine import SchemaError, compile_form
from forms_engine.formats import CHECKERS

SUITE = Path("conformance") / "json-schema-test-suite" / "tests" / "draft2020-12"
FREE_TEXT_MAX = 1000
ROOT_KEYWORDS = frozenset(
    {
        "properties",
        "required",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
        "additionalProperties",
    }
)
STRING_KW = frozenset({"minLength", "maxLength", "pattern", "format"})
NUMBER_KW = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
ARRAY_KW = frozenset({"items", "minItems", "maxItems", "uniqueItems"})
#: Keyword files the issue requires: every group of theirs that fits a field is accepted.
REQUIRED_FILES = (
    "type",
    "enum",
    "const",
    "required",
    "properties",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "items",
    "dependentRequired",
    "dependentSchemas",
    "if-then-else",
    "format",
)


def suite_dir() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / SUITE).is_dir():
            return parent / "shared" / SUITE
    return None


def suite_files(root: Path) -> list[Path]:
    files = sorted(root.glob("*.json"))
    files += [root / "optional" / "format" / f"{name}.json" for name in sorted(CHECKERS)]
    return [f for f in files if f.is_file()]


# ------------------------------------------------------------------ typing from data
def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def majority_type(values: list[Any], scalar: bool = False) -> str | None:
    """The commonest JSON type of ``values`` (integers count as numbers beside numbers)."""
    counts = Counter(json_type(v) for v in values)
    if counts["integer"] and counts["number"]:
        counts["number"] += counts.pop("integer")
    for other in ("null", *(("object", "array") if scalar else ())):
        counts.pop(other, None)
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def keyword_type(schema: dict[str, Any], data: list[Any]) -> str | None:
    """The type a field needs for this schema: stated, implied by its keywords, or the data's."""
    stated = schema.get("type")
    if isinstance(stated, str):
        return stated
    if "$ref" in schema:
        return None  # the definition says
    if "enum" in schema or "const" in schema:
        return None  # the engine infers it from the options
    keys = set(schema)
    if keys & STRING_KW:
        return "string"
    if keys & NUMBER_KW:
        data_type = majority_type(data)
        return "integer" if data_type == "integer" else "number"
    if keys & ARRAY_KW:
        return "array"
    return majority_type(data)


#: The option a list gets when the data's arrays hold no value its items allow.
PLACEHOLDER_OPTION = "a"


def typed_field(schema: Any, data: list[Any]) -> Any:
    """The suite's field schema with what a form field needs added (constraints only)."""
    if schema is True:
        schema = {}  # the same schema; the type comes from the data
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    typ = keyword_type(out, data)
    if typ is not None and "type" not in out:
        out["type"] = typ
    typ = out.get("type")
    if isinstance(typ, list) and len(typ) == 1:
        typ = typ[0]  # the engine reads ["string"] as "string"
    free = not ({"enum", "const", "maxLength"} & set(out)) and out.get("format") not in CHECKERS
    if typ == "string" and free:
        out["maxLength"] = FREE_TEXT_MAX
    if typ == "array":
        out["items"] = list_items(out.get("items", {}), data)
    if typ == "object" and isinstance(out.get("properties"), dict):
        out["properties"] = {
            name: typed_field(sub, [d[name] for d in data if isinstance(d, dict) and name in d])
            for name, sub in out["properties"].items()
        }
    return out


def list_items(items: Any, data: list[Any]) -> Any:
    """A list's items as options: the scalar values of the data's arrays that they allow."""
    if items is True:
        items = {}
    if not isinstance(items, dict) or {"enum", "const", "oneOf", "$ref"} & set(items):
        return items
    values = [v for arr in data if isinstance(arr, list) for v in arr]
    item_type = items.get("type") if isinstance(items.get("type"), str) else None
    item_type = item_type or majority_type(values, scalar=True) or "string"
    if item_type not in ("string", "integer", "number", "boolean"):
        return items
    own = {k: v for k, v in items.items() if k in STRING_KW | NUMBER_KW}
    allowed = Draft202012Validator({**own, "type": item_type})
    options: list[Any] = []
    for v in values:
        fits = json_type(v) in (item_type, "integer" if item_type == "number" else "")
        if fits and v != "" and allowed.is_valid(v) and not any(same(v, o) for o in options):
            options.append(v)
    if not options and allowed.is_valid(PLACEHOLDER_OPTION):
        options.append(PLACEHOLDER_OPTION)
    return {**items, "type": item_type, "enum": options} if options else items


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values (1 and 1.0 are; true and 1 are not): one option."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


# ------------------------------------------------------------------ the form for a group
def names_in(schema: Any) -> dict[str, list[Any]]:
    """Property names a root schema mentions anywhere, with any schemas it gives them."""
    out: dict[str, list[Any]] = {}
    stack = [schema]
    while stack:
        sch = stack.pop()
        if not isinstance(sch, dict):
            continue
        for name, sub in (sch.get("properties") or {}).items():
            out.setdefault(name, []).append(sub)
        for name in sch.get("required") or []:
            if isinstance(name, str):
                out.setdefault(name, [])
        for key in ("dependentRequired", "dependentSchemas", "dependencies"):
            for name, value in (sch.get(key) or {}).items():
                out.setdefault(name, [])
                if isinstance(value, list):
                    for other in value:
                        out.setdefault(other, [])
                else:
                    stack.append(value)
        for key in ("if", "then", "else"):
            stack.append(sch.get(key))
        stack.extend(sch.get("allOf") or [])
    return out


@dataclass
class Adapted:
    form: dict[str, Any]
    wrap: bool
    added: dict[str, Any] = field(default_factory=dict)  # the constraints the form adds


def implicit(schema: Any) -> Any:
    """The engine's implicit rules over a form schema's fields, as JSON Schema."""
    if not isinstance(schema, dict):
        return {}
    typ = schema.get("type")
    if typ == "object" and isinstance(schema.get("properties"), dict):
        return {
            "properties": {n: implicit(s) for n, s in schema["properties"].items()},
            "additionalProperties": False,
        }
    if typ == "string":
        return {"minLength": 1}
    if typ == "array":
        items = schema.get("items")
        out: dict[str, Any] = {"minItems": 1}
        if isinstance(items, dict) and items.get("type") == "object":
            out["items"] = implicit(items)
        elif isinstance(items, dict) and ({"enum", "const"} & set(items)):
            out["uniqueItems"] = True
        return out
    return {}


def adapt(schema: Any, tests: list[dict[str, Any]]) -> Adapted:
    data = [t["data"] for t in tests]
    if isinstance(schema, dict) and (schema.get("type") == "object" or ROOT_KEYWORDS & set(schema)):
        form = copy.deepcopy(schema)
        form["type"] = "object"
        props = dict(form.get("properties") or {})
        for name, given in names_in(schema).items():
            values = [d[name] for d in data if isinstance(d, dict) and name in d]
            typed = [g for g in given if isinstance(g, dict) and isinstance(g.get("type"), str)]
            base = props.get(name, {})
            base = {} if base is True else base  # the same schema, typed below
            if isinstance(base, dict) and "type" not in base and typed:
                base = {**base, "type": typed[0]["type"]}
            if isinstance(base, dict) and not values and keyword_type(base, []) is None:
                base = {"type": "string", **base}  # never given a value: any type will do
            props[name] = typed_field(base, values)
        for d in data:
            for name in d if isinstance(d, dict) else ():
                if name not in props:
                    props[name] = typed_field({}, [d[name]])
        form["properties"] = props
        return Adapted(form, wrap=False)
    field_schema = schema
    root: dict[str, Any] = {"type": "object"}
    if isinstance(schema, dict):
        field_schema = {k: v for k, v in schema.items() if k not in ("$schema", "$defs")}
        root.update({k: schema[k] for k in ("$schema", "$defs") if k in schema})
    root["properties"] = {"value": typed_field(field_schema, data)}
    return Adapted(root, wrap=True)


def _no_pattern(*_: Any) -> Any:
    return iter(())


#: The reference for the added constraints. They never include a pattern, and the suite's
#: own answer covers the suite's patterns (ECMAScript ones, \p{Letter}…, that Python's re
#: cannot compile), so patterns are left to the suite's answer.
Reference = validators.extend(Draft202012Validator, {"pattern": _no_pattern})


# ------------------------------------------------------------------ running
@dataclass
class FileResult:
    groups: int = 0
    accepted: int = 0
    refused: int = 0
    agreeing: int = 0
    tests: int = 0
    departures: int = 0
    refusals: list[tuple[str, str]] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    codes: list[set[str]] = field(default_factory=list)  # the problem keys of each refusal


def run_group(name: str, group: dict[str, Any], result: FileResult) -> None:
    result.groups += 1
    adapted = adapt(group["schema"], group["tests"])
    try:
        form = compile_form(adapted.form)
    except SchemaError as exc:
        result.refused += 1
        codes = {p.key for p in exc.problems}
        result.refusals.append((group["description"], exc.problems[0].message))
        result.codes.append(codes)
        return
    result.accepted += 1
    # $defs stay at the root so that the schema's own references resolve
    checked = {**adapted.form, "allOf": [*adapted.form.get("allOf", []), implicit(adapted.form)]}
    reference = Reference(checked)
    agree = True
    for test in group["tests"]:
        instance = {"value": test["data"]} if adapted.wrap else test["data"]
        expected = bool(test["valid"]) and reference.is_valid(instance)
        departure = DEPARTURES.get((name, test["description"]))
        if departure is not None:
            expected = departure[0]
            result.departures += 1
        got = not form.validate(instance, "en")
        result.tests += 1
        if got != expected:
            agree = False
            result.disagreements.append(
                f"{group['description']} / {test['description']}: suite {test['valid']}, "
                f"expected {expected}, engine {got} ({form.validate(instance, 'en')})"
            )
    result.agreeing += agree


def run_suite(root: Path) -> dict[str, FileResult]:
    results: dict[str, FileResult] = {}
    for path in suite_files(root):
        name = path.relative_to(root).with_suffix("").as_posix()
        result = results[name] = FileResult()
        for group in json.loads(path.read_text(encoding="utf-8")):
            run_group(name, group, result)
    return results


def table(results: dict[str, FileResult]) -> str:
    lines = [
        "| Keyword file | Groups | Accepted | Refused | Agreeing | Tests run | Departures |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total = FileResult()
    for name, r in results.items():
        lines.append(
            f"| `{name}` | {r.groups} | {r.accepted} | {r.refused} | {r.agreeing} | {r.tests} "
            f"| {r.departures} |"
        )
        total.groups += r.groups
        total.accepted += r.accepted
        total.refused += r.refused
        total.agreeing += r.agreeing
        total.tests += r.tests
        total.departures += r.departures
    lines.append(
        f"| **total** | {total.groups} | {total.accepted} | {total.refused} | "
        f"{total.agreeing} | {total.tests} | {total.departures} |"
    )
    return "\n".join(lines)


def _require_suite() -> Path:
    root = suite_dir()
    if root is not None:
        return root
    message = f"missing shared/{SUITE.as_posix()} (a sibling folder of the repository)"
    required = {s.strip() for s in os.environ.get("REQUIRE_SERVICES", "").split(",")}
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") or required & {
        "all",
        "conformance",
    }:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def results() -> dict[str, FileResult]:
    return run_suite(_require_suite())


def test_every_accepted_group_agrees_with_the_suite(results: dict[str, FileResult]) -> None:
    print("\n" + table(results))
    for name, r in results.items():
        for description, reason in r.refusals:
            print(f"refused {name} / {description}: {reason}")
    wrong = [f"{name}: {d}" for name, r in results.items() for d in r.disagreements]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_the_keywords_a_form_uses_are_accepted(results: dict[str, FileResult], name: str) -> None:
    """Every group of these files is accepted, but those in NOT_A_FIELD, which are refused."""
    r = results[name]
    refused = {
        description: codes for (description, _), codes in zip(r.refusals, r.codes, strict=True)
    }
    expected = {d: codes for (f, d), (codes, _) in NOT_A_FIELD.items() if f == name}
    assert set(refused) == set(expected), (name, r.refusals)
    for description, codes in refused.items():
        # refused for the documented reason (other problems may follow from it)
        assert codes & expected[description], (description, codes, expected[description])


def test_the_supported_formats_are_accepted(results: dict[str, FileResult]) -> None:
    for fmt in sorted(CHECKERS):
        r = results.get(f"optional/format/{fmt}")
        if r is not None:
            assert r.refused == 0 and r.agreeing == r.accepted, (fmt, r.refusals)


_ANNOTATION = "formats are assertions in a form (what the optional/format tests check)"
_QUOTED = "e-mail is the deliverable subset: no quoted local parts or address literals"
_LOCAL_TIME = "time accepts HH:MM[:SS] without an offset: browsers' <input type=time> sends it"
#: Tests where the engine answers otherwise on purpose: (file, test) → (answer, reason).
DEPARTURES: dict[tuple[str, str], tuple[bool, str]] = {
    **{
        ("format", f"invalid {fmt} string is only an annotation by default"): (False, _ANNOTATION)
        for fmt in CHECKERS
    },
    **{
        ("optional/format/email", test): (False, _QUOTED)
        for test in (
            "a quoted string with a space in the local part is valid",
            "a quoted string with a double dot in the local part is valid",
            "a quoted string with a @ in the local part is valid",
            "an IPv4-address-literal after the @ is valid",
            "an IPv6-address-literal after the @ is valid",
        )
    },
    ("optional/format/time", "no time offset"): (True, _LOCAL_TIME),
    ("optional/format/time", "no time offset with second fraction"): (True, _LOCAL_TIME),
    ("optional/format/uri", "unescaped non US-ASCII characters"): (
        True,
        "uri accepts non-ASCII characters (IRIs), as browsers' <input type=url> does",
    ),
}

_NULL = "null: an empty field is left out, never null"
_TYPES = "several types: a field holds one kind of value"
_OPTION_KIND = "objects, lists or null as options: no input gives them"
_NAMES = "field names are identifiers (they name inputs and paths; __ is reserved)"
_TUPLE = "prefixItems: a tuple of differently typed positions is no list field"
_FORMAT = "format the engine does not check (see Formats)"
#: The groups of REQUIRED_FILES that are refused on purpose: (file, group) →
#: (problem keys of which one must be among the refusal's, reason for docs/forms.md).
NOT_A_FIELD: dict[tuple[str, str], tuple[set[str], str]] = {
    ("type", "null type matches only the null object"): ({"type_null"}, _NULL),
    ("type", "multiple types can be specified in an array"): ({"type_list"}, _TYPES),
    ("type", "type: array or object"): ({"type_list"}, _TYPES),
    ("type", "type: array, object or null"): ({"type_list"}, _TYPES),
    ("enum", "heterogeneous enum validation"): ({"option_kind"}, _OPTION_KIND),
    ("enum", "heterogeneous enum-with-null validation"): ({"option_null"}, _OPTION_KIND),
    **{
        ("enum", f"enum with [{a}] does not match [{b}]"): ({"option_kind"}, _OPTION_KIND)
        for a, b in (("false", "0"), ("true", "1"), ("0", "false"), ("1", "true"))
    },
    ("enum", "empty enum"): ({"enum_empty"}, "an empty enum: a field no value can fill"),
    **{
        ("const", f"const with {what}"): ({"option_kind", "option_null"}, _OPTION_KIND)
        for what in (
            "object",
            "array",
            "null",
            "[false] does not match [0]",
            "[true] does not match [1]",
            '{"a": false} does not match {"a": 0}',
            '{"a": true} does not match {"a": 1}',
        )
    },
    ("properties", "properties, patternProperties, additionalProperties interaction"): (
        {"unsupported", "additional"},
        "patternProperties and additionalProperties schemas: a form names its fields",
    ),
    ("properties", "properties with escaped characters"): ({"field_name"}, _NAMES),
    ("properties", "properties with null valued instance properties"): ({"type_null"}, _NULL),
    ("properties", "properties whose names are Javascript object property names"): (
        {"field_name"},
        _NAMES,
    ),
    ("required", "required with escaped characters"): ({"field_name"}, _NAMES),
    ("required", "required properties whose names are Javascript object property names"): (
        {"field_name"},
        _NAMES,
    ),
    ("dependentRequired", "dependencies with escaped characters"): ({"field_name"}, _NAMES),
    ("dependentSchemas", "dependencies with escaped characters"): ({"field_name"}, _NAMES),
    ("dependentSchemas", "dependent subschema incompatible with root"): (
        {"branch_shape"},
        "a branch with additionalProperties: false forbids the form's other fields "
        "(no answer with the key field is ever valid)",
    ),
    ("items", "items with boolean schema (false)"): (
        {"items_object"},
        "items: false: a list that must stay empty is no field",
    ),
    ("items", "nested items"): ({"items_kind"}, "lists of lists: no input gives them"),
    ("items", "items with null instance elements"): ({"items_kind"}, _NULL),
    **{
        ("items", group): ({"unsupported"}, _TUPLE)
        for group in (
            "items and subitems",
            "prefixItems with no additional items allowed",
            "items does not look in applicators, valid case",
            "prefixItems validation adjusts the starting index for items",
            "items with heterogeneous array",
        )
    },
    **{
        ("uniqueItems", group): ({"unsupported"}, _TUPLE)
        for group in (
            "uniqueItems with an array of items",
            "uniqueItems with an array of items and additionalItems=false",
            "uniqueItems=false with an array of items",
            "uniqueItems=false with an array of items and additionalItems=false",
        )
    },
    **{
        ("format", f"{fmt} format"): ({"format_unknown"}, _FORMAT)
        for fmt in (
            "idn-email",
            "regex",
            "ipv4",
            "ipv6",
            "idn-hostname",
            "hostname",
            "json-pointer",
            "relative-json-pointer",
            "iri",
            "iri-reference",
            "uri-reference",
            "uri-template",
            "duration",
        )
    },
}


def refusal_notes() -> str:
    """The reasons of NOT_A_FIELD as the notes under the table in docs/forms.md."""
    by_reason: dict[str, list[str]] = {}
    for (name, group), (_, reason) in NOT_A_FIELD.items():
        by_reason.setdefault(reason, []).append(f"`{name}` / {group}")
    return "\n".join(f"- {reason}: {'; '.join(groups)}." for reason, groups in by_reason.items())


if __name__ == "__main__":
    found = suite_dir()
    if found is None:
        sys.exit("suite not found")
    print(table(run_suite(found)))
    print()
    print(refusal_notes())
