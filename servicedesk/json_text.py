"""The one JSON reader for every document the app accepts (API bodies, admin editor, imports).

`json.loads` alone accepts what the rest of the app cannot keep: nesting deep enough to
exhaust the recursion of every later step (validation, rendering, the database driver),
NUL characters (PostgreSQL refuses them in text and JSONB), lone surrogates (cannot be
encoded to UTF-8), and NaN or infinite numbers (not JSON; PostgreSQL refuses them).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

# Far deeper than any form (the builder makes 3 levels; real schemas rarely pass 10), far
# shallower than Python's recursion limit.
MAX_DEPTH = 64

# A JSON string, with its escapes, as one token: brackets inside strings are not nesting.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


class JSONTextError(ValueError):
    """A text that is not JSON the app can keep; message says why, in the user's language."""

    def __init__(self, message: LazyString | str) -> None:
        super().__init__(str(message))
        self.message = message


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _finite(raw: str) -> float:
    """A JSON number with a fraction or exponent, refused when it is not finite."""
    value = float(raw)
    if not math.isfinite(value):
        raise JSONTextError(
            _l("Not valid JSON: the number %(number)s is too large.", number=raw[:20])
        )
    return value


def _constant(raw: str) -> Any:
    """NaN and Infinity are not JSON."""
    raise JSONTextError(_l("Not valid JSON: %(value)s is not a JSON value.", value=raw))


def _check_text(value: Any) -> None:
    """Refuse NUL characters and lone surrogates in any string or key (walks the document)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSAFE.search(item):
                raise JSONTextError(
                    _l(
                        "Not valid JSON: a text contains a NUL character or "
                        "an unpaired surrogate (\\u0000, \\ud800…)."
                    )
                )
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a JSON text the app can keep, or raise JSONTextError saying what is wrong."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONTextError(_l("Not valid JSON: the text is not UTF-8.")) from exc
    if _depth(text) > max_depth:
        raise JSONTextError(
            _l("Not valid JSON: nested more than %(depth)d levels deep.", depth=max_depth)
        )
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_constant)
    except JSONTextError:
        raise
    except (ValueError, RecursionError) as exc:
        raise JSONTextError(_l("Not valid JSON: %(error)s", error=str(exc))) from exc
    _check_text(value)
    return value
