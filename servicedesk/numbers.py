"""Whole numbers from forms, query strings and JSON, parsed so that no value can surprise."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# Ids are INTEGER columns (32 bits on PostgreSQL): a larger value cannot name a row, and
# handing it to the driver makes it fail ("out of range", "too large to convert") instead
# of finding nothing.
MAX_ID = 2**31 - 1


def whole_number(raw: str | None, limit: int, minimum: int = 1) -> int | None:
    """The number written in raw with ASCII digits, within minimum..limit; else None."""
    # str.isdigit() also accepts "²" (which int() refuses) and "١٢" (which it reads as 12).
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(limit)):
        return None
    value = int(raw)
    return value if minimum <= value <= limit else None


def row_id(raw: str | None) -> int | None:
    """A row id from a request, or None when no row could have it."""
    return whole_number(raw, MAX_ID)


def is_row_id(raw: object) -> bool:
    """Tell whether a value already typed as a number (JSON, Python) can be a row id.

    True and False are not 1 and 0 here.
    """
    return isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= MAX_ID


def coerce_row_id(raw: object) -> int:
    """WTForms coerce for id choices: ValueError makes the field report an invalid choice."""
    value = raw if is_row_id(raw) else row_id(str(raw))
    if not isinstance(value, int):
        raise ValueError(raw)
    return value


class RowIdConverter(IntegerConverter):
    """The URL converter for <int:…>: only numbers a row id can have match (else 404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
