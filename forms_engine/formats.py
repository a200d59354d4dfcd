"""Format checkers that really run (no silent pass), without Python ``re`` on user patterns."""

from __future__ import annotations

import datetime as _dt
import ipaddress
import string
from collections.abc import Callable
from typing import Final

from jsonschema import FormatChecker  # type: ignore[import-untyped, unused-ignore]

_HEX: Final = frozenset(string.hexdigits)
_DIGITS: Final = frozenset(string.digits)
_ALNUM: Final = frozenset(string.ascii_letters + string.digits)
_SCHEME: Final = frozenset(string.ascii_letters + string.digits + "+-.")


def _all_in(text: str, allowed: frozenset[str]) -> bool:
    return all(ch in allowed for ch in text)


def is_email(value: str) -> bool:
    if len(value) > 254 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    if not local or len(local) > 64 or not domain:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ch in '"(),:;<>[\\]' for ch in local):
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    labels = domain.split(".")
    if len(labels) < 2:
        return False
    for label in labels:
        if not label or len(label) > 63 or label[0] == "-" or label[-1] == "-":
            return False
        if not all(ch in _ALNUM or ch == "-" or ord(ch) > 127 for ch in label):
            return False
    return not labels[-1].isdigit()


def _two(text: str) -> bool:
    return len(text) == 2 and _all_in(text, _DIGITS)


def is_date(value: str) -> bool:
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return False
    y, m, d = value[:4], value[5:7], value[8:]
    if not (_all_in(y, _DIGITS) and _two(m) and _two(d)):
        return False
    try:
        _dt.date(int(y), int(m), int(d))
    except ValueError:
        return False
    return True


def _is_offset(text: str) -> bool:
    if text in ("Z", "z"):
        return True
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return False
    hh, mm = text[1:3], text[4:]
    return _two(hh) and _two(mm) and int(hh) <= 23 and int(mm) <= 59


def is_time(value: str) -> bool:
    """``HH:MM[:SS[.fraction]]`` with an optional offset (``Z`` or ``±HH:MM``).

    Browsers' ``<input type=time>`` sends ``HH:MM``; RFC 3339 ``full-time`` is also accepted.
    """
    main, offset = value, ""
    for i, ch in enumerate(value):
        if ch in "Zz+-" and i >= 5:
            main, offset = value[:i], value[i:]
            break
    if offset and not _is_offset(offset):
        return False
    if len(main) < 5 or main[2] != ":":
        return False
    hh, mm, rest = main[:2], main[3:5], main[5:]
    if not (_two(hh) and _two(mm)) or int(hh) > 23 or int(mm) > 59:
        return False
    if not rest:
        return True
    if rest[0] != ":" or not _two(rest[1:3]) or int(rest[1:3]) > 60:
        return False
    if int(rest[1:3]) == 60 and not _leap_minute(int(hh), int(mm), offset):
        return False
    frac = rest[3:]
    if not frac:
        return True
    return frac[0] == "." and len(frac) > 1 and _all_in(frac[1:], _DIGITS)


def _leap_minute(hour: int, minute: int, offset: str) -> bool:
    """A leap second (``:60``) only exists in the last minute of a UTC day."""
    if offset in ("", "Z", "z"):
        return (hour, minute) == (23, 59)
    sign = 1 if offset[0] == "+" else -1
    utc = (hour * 60 + minute - sign * (int(offset[1:3]) * 60 + int(offset[4:6]))) % 1440
    return utc == 23 * 60 + 59


def is_date_time(value: str, offset: bool = True) -> bool:
    """``YYYY-MM-DDTHH:MM[:SS[.fraction]]`` and an offset (``Z`` or ``±HH:MM``).

    The offset is required (RFC 3339): without it a value means a different instant to
    each reader. ``offset=False`` also accepts a ``datetime-local`` value, which forms read
    in the submitter's zone (``dates.with_zone``) before validating.
    """
    if len(value) < 16 or len(value) > 40 or value[10] not in "Tt ":
        return False
    if offset and not _has_offset(value[16:]):
        return False
    return is_date(value[:10]) and is_time(value[11:])


def _has_offset(tail: str) -> bool:
    """Whether the part of a date-time after its minutes ends with ``Z`` or ``±HH:MM``."""
    return tail.endswith(("Z", "z")) or (len(tail) >= 6 and tail[-6] in "+-")


def is_uri(value: str) -> bool:
    """An absolute URI: ``scheme:rest`` with no spaces or control characters."""
    if len(value) > 2048 or ":" not in value:
        return False
    scheme, rest = value.split(":", 1)
    if not scheme or not scheme[0].isascii() or not scheme[0].isalpha():
        return False
    if not _all_in(scheme, _SCHEME) or not rest:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ch in '<>"{}|\\^`' for ch in rest):
        return False
    if not _percent_ok(rest):
        return False
    authority, path = "", rest
    if rest.startswith("//"):
        after = rest[2:]
        cut = min((after.find(c) for c in "/?#" if c in after), default=len(after))
        authority, path = after[:cut], after[cut:]
        if not authority or not _authority_ok(authority):
            return False
    return "[" not in path and "]" not in path


def _percent_ok(text: str) -> bool:
    """Every ``%`` starts a two-digit hexadecimal escape."""
    parts = text.split("%")
    return all(len(p) >= 2 and p[0] in _HEX and p[1] in _HEX for p in parts[1:])


def _authority_ok(authority: str) -> bool:
    """``[userinfo@]host[:port]``: brackets only around an IPv6 host, a numeric port."""
    userinfo, _, host = authority.rpartition("@")
    if "[" in userinfo or "]" in userinfo:
        return False
    port = ""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return False
        literal, tail = host[1:end], host[end + 1 :]
        if not literal.lower().startswith("v"):
            try:
                ipaddress.IPv6Address(literal)
            except ValueError:
                return False
        if tail and not tail.startswith(":"):
            return False
        port = tail[1:]
    else:
        if "[" in host or "]" in host:
            return False
        if ":" in host:
            host, port = host.split(":", 1)
    return _all_in(port, _DIGITS)


def is_uuid(value: str) -> bool:
    parts = value.split("-")
    if [len(p) for p in parts] != [8, 4, 4, 4, 12]:
        return False
    return all(_all_in(p, _HEX) for p in parts)


def is_phone(value: str) -> bool:
    """E.164-ish: optional leading ``+``, digits, spaces, dashes, parentheses; 7–15 digits."""
    if len(value) > 32:
        return False
    body = value[1:] if value.startswith("+") else value
    digits = 0
    for ch in body:
        if ch in _DIGITS:
            digits += 1
        elif ch not in " -()":
            return False
    if body.count("(") != body.count(")"):
        return False
    return 7 <= digits <= 15


CHECKERS: Final[dict[str, Callable[[str], bool]]] = {
    "email": is_email,
    "date": is_date,
    "date-time": is_date_time,
    "time": is_time,
    "uri": is_uri,
    "uuid": is_uuid,
    "phone": is_phone,
}

#: Implicit maximum length of each format (so those strings need no ``maxLength``).
FORMAT_MAX_LENGTH: Final[dict[str, int]] = {
    "email": 254,
    "date": 10,
    "date-time": 40,
    "time": 30,
    "uri": 2048,
    "uuid": 36,
    "phone": 32,
}


def _wrap(check: Callable[[str], bool]) -> Callable[[object], bool]:
    def checker(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        return check(instance)

    return checker


def make_format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, check in CHECKERS.items():
        checker.checks(name)(_wrap(check))
    return checker


FORMAT_CHECKER: Final = make_format_checker()
