"""Command line: ``python -m forms_engine check|render SCHEMA.json [...]``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .form import compile_form
from .model import SchemaError


def _line(pointer: str, msg: str) -> None:
    print(json.dumps({"pointer": pointer, "message": msg}, ensure_ascii=False))


def _load(path: str, what: str) -> tuple[bool, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            return True, json.load(fh)
    except (OSError, UnicodeDecodeError) as exc:
        _line("", f"cannot read {what} {path}: {exc}")
    except json.JSONDecodeError as exc:
        _line(
            "", f"{what} {path} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        )
    except RecursionError:
        _line("", f"{what} {path} is nested too deeply")
    return False, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m forms_engine")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check a schema (and optionally an instance)")
    check.add_argument("schema")
    check.add_argument("instance", nargs="?")
    check.add_argument("--ui")
    check.add_argument("--lang", default="es", choices=["es", "en"])
    render = sub.add_parser("render", help="print the form's HTML")
    render.add_argument("schema")
    render.add_argument("--ui")
    render.add_argument("--lang", default="es", choices=["es", "en"])
    args = parser.parse_args(argv)

    ok, schema = _load(args.schema, "schema")
    if not ok:
        return 1
    ui = None
    if args.ui:
        ok, ui = _load(args.ui, "UI hints")
        if not ok:
            return 1
    try:
        form = compile_form(schema, ui)
    except SchemaError as exc:
        for problem in exc.localized(args.lang):
            _line(problem.pointer, problem.message)
        return 1
    if args.command == "render":
        print(form.render(locale=args.lang))
        return 0
    if args.instance:
        ok, instance = _load(args.instance, "instance")
        if not ok:
            return 1
        errors = form.validate(instance, args.lang)
        for pointer, messages in errors.items():
            for msg in messages:
                _line(pointer, msg)
        return 1 if errors else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
