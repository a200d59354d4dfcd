"""Dates as people type them, and date-times with the zone of the person who typed them.

Stored values stay ISO: ``date`` is ``YYYY-MM-DD``, ``date-time`` is RFC 3339 with an offset.
Only the form's text is localized: Spanish writes ``19/12/2026`` (día/mes/año) and English
``12/19/2026`` (Babel's short ``en`` pattern, ``M/d/yy``, with a four-digit year). ISO is
always accepted too, so old links and pasted values keep working.
"""

from __future__ import annotations

import datetime as _dt
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .formats import is_date, is_date_time
from .messages import message, norm_locale

#: The order of day, month and year in each language's numeric dates.
ORDERS: Final[dict[str, str]] = {"es": "dmy", "en": "mdy"}
_SEPARATORS: Final = "/.-"


def _order(locale: str | None) -> str:
    return ORDERS[norm_locale(locale)]


def read_date(text: str, locale: str | None) -> _dt.date | None:
    """A date typed in the language's pattern (``19/12/2026`` in Spanish) or ISO; else None.

    Day and month may have one or two digits, the separator may be ``/``, ``.`` or ``-``,
    and eight digits alone (``19122026``) are read in the same order; the year needs four
    (``19/12/26`` could be 1926 or 2026, so it is refused rather than guessed).
    """
    s = text.strip()
    if is_date(s):
        return _dt.date.fromisoformat(s)
    if len(s) > 10 or not s.isascii() or locale is None:
        return None
    sep = next((ch for ch in s if ch in _SEPARATORS), None)
    if sep is None and len(s) == 8 and s.isdigit():  # 19122026: a phone's digits-only keypad
        parts = [s[:2], s[2:4], s[4:]]  # in the language's order, like the separated form
    elif sep is None:
        return None
    else:
        parts = s.split(sep)
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    by = dict(zip(_order(locale), parts, strict=True))
    if len(by["y"]) != 4 or not (1 <= len(by["d"]) <= 2 and 1 <= len(by["m"]) <= 2):
        return None
    try:
        return _dt.date(int(by["y"]), int(by["m"]), int(by["d"]))
    except ValueError:
        return None


def date_text(day: _dt.date, locale: str | None) -> str:
    """A date as the language types it: ``19/12/2026`` (es), ``12/19/2026`` (en)."""
    parts = {"d": f"{day.day:02d}", "m": f"{day.month:02d}", "y": f"{day.year:04d}"}
    return "/".join(parts[key] for key in _order(locale))


def typed_date(value: str, locale: str | None) -> str:
    """A stored value as the date input shows it: ISO in the language's pattern, else as is."""
    return date_text(_dt.date.fromisoformat(value), locale) if is_date(value) else value


def date_pattern(locale: str | None) -> str:
    """The pattern people read in the hint: ``dd/mm/aaaa`` or ``mm/dd/yyyy``."""
    return message("ui.date_pattern", norm_locale(locale))


def zone_info(zone: str | None) -> ZoneInfo | None:
    """The zone of that name, or None (no zone given, or a name zoneinfo does not know)."""
    if not zone:
        return None
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _moment(text: str) -> _dt.datetime | None:
    if not is_date_time(text, offset=False):
        return None
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:  # a leap second (:60) is a valid RFC 3339 text Python cannot hold
        return None


def with_zone(text: str, zone: str | None) -> str:
    """A ``datetime-local`` value (no offset) read in ``zone``, as RFC 3339 with its offset.

    ``2026-03-01T10:00`` typed in America/Santiago is ``2026-03-01T10:00:00-03:00``. A value
    that already has an offset, that is no date-time, or no zone: returned unchanged.
    """
    info = zone_info(zone)
    moment = _moment(text.strip())
    if info is None or moment is None or moment.tzinfo is not None:
        return text
    return moment.replace(tzinfo=info).isoformat()


def local_input(value: str, zone: str | None) -> str:
    """A stored date-time as a ``datetime-local`` value in the reader's zone.

    ``2026-03-01T10:00:00-03:00`` read in Europe/Madrid is ``2026-03-01T14:00``. Offset-less
    values (typed, or stored before offsets were required) are returned unchanged.
    """
    info = zone_info(zone)
    moment = _moment(value)
    if info is None or moment is None or moment.tzinfo is None:
        return value
    wall = moment.astimezone(info).replace(tzinfo=None)
    if wall.microsecond:
        return wall.isoformat(timespec="milliseconds")
    return wall.isoformat(timespec="seconds" if wall.second else "minutes")
