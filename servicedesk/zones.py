"""Time zones: stored times are UTC; each reader sees them in their own zone.

The reader's zone is their own setting (`users.timezone`), else the organisation's (the
`settings` row set in Administración, else the TIMEZONE setting). Flask-Babel asks
select_timezone() once per request; mail and exports force a zone with force_zone().
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytz
from flask import Flask, current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user

from .extensions import db
from .models import Setting

# Zones both zoneinfo (our conversions) and pytz (Flask-Babel's formatting) know.
ZONES = frozenset(available_timezones() & pytz.all_timezones_set)
# Offered first: where the desk's offices are (Mexico, Spain, Latin America), then UTC.
COMMON = tuple(
    zone
    for zone in (
        "America/Mexico_City",
        "America/Monterrey",
        "America/Cancun",
        "America/Chihuahua",
        "America/Hermosillo",
        "America/Mazatlan",
        "America/Tijuana",
        "Europe/Madrid",
        "Atlantic/Canary",
        "America/Bogota",
        "America/Lima",
        "America/Santiago",
        "America/Argentina/Buenos_Aires",
        "America/Montevideo",
        "America/Asuncion",
        "America/La_Paz",
        "America/Guayaquil",
        "America/Caracas",
        "America/Guatemala",
        "America/El_Salvador",
        "America/Tegucigalpa",
        "America/Managua",
        "America/Costa_Rica",
        "America/Panama",
        "America/Havana",
        "America/Santo_Domingo",
        "America/Puerto_Rico",
        "America/New_York",
        "America/Los_Angeles",
        "UTC",
    )
    if zone in ZONES
)
OTHERS = tuple(sorted(ZONES - set(COMMON)))
MAX_LENGTH = 64  # the column's width; no IANA name comes near it
SETTING = "timezone"  # the settings row holding the organisation's zone
_CACHE = "servicedesk_organisation_zone"  # on g: read once per request or job
_FORCED = "servicedesk_forced_zone"  # on g: the zone force_zone() chose ("": organisation's)


def is_zone(name: object) -> bool:
    """Tell whether a value names a zone the desk can show times in."""
    return isinstance(name, str) and name in ZONES


class ZoneError(ValueError):
    """A value that names no time zone the desk knows (the message says so, translated)."""


def check_zone(raw: str) -> str:
    """A zone name from a form, checked: ZoneError (translated) when it names none."""
    name = raw.strip()
    if not is_zone(name):
        shown = name[:MAX_LENGTH] + ("…" if len(name) > MAX_LENGTH else "")
        raise ZoneError(
            _l("“%(zone)s” is not a time zone. Choose one from the list.", zone=shown)
            if name
            else _l("Choose a time zone from the list.")
        )
    return name


def personal_zone(raw: str) -> str | None:
    """A person's zone from a form: checked, or None (empty: the organisation's zone)."""
    return check_zone(raw) if raw.strip() else None


def organisation_zone() -> str:
    """The organisation's zone: the Administración setting, else TIMEZONE, else UTC."""
    cached = g.get(_CACHE)
    if cached is None:
        stored = db.session.get(Setting, SETTING)
        default = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC")
        cached = next(z for z in (stored and stored.value, default, "UTC") if is_zone(z))
        setattr(g, _CACHE, cached)
    return str(cached)


def set_organisation_zone(name: str) -> None:
    """Store the organisation's zone (the caller checked it with is_zone)."""
    row = db.session.get(Setting, SETTING)
    if row is None:
        db.session.add(Setting(key=SETTING, value=name))
    else:
        row.value = name
    db.session.flush()
    setattr(g, _CACHE, name)


def zone_of(user: Any) -> str:
    """A user's zone: their own, else the organisation's."""
    own = getattr(user, "timezone", None)
    return str(own) if is_zone(own) else organisation_zone()


def select_timezone() -> str:
    """Flask-Babel's zone for what is being rendered: forced, the reader's, the desk's."""
    forced = g.get(_FORCED)
    if forced is not None:
        return str(forced) or organisation_zone()
    if has_request_context() and current_user and current_user.is_authenticated:
        return zone_of(current_user)
    return organisation_zone()


@contextmanager
def force_zone(name: str | None) -> Iterator[None]:
    """Render in this zone inside the block (None: the organisation's zone)."""
    previous = g.get(_FORCED)
    setattr(g, _FORCED, name if is_zone(name) else "")
    refresh()  # Flask-Babel keeps the zone it chose for the request
    try:
        yield
    finally:
        setattr(g, _FORCED, previous)
        refresh()


def day_start(day: date, zone: str) -> datetime:
    """The UTC instant a day starts at in a zone (midnight there)."""
    return datetime.combine(day, time.min, ZoneInfo(zone)).astimezone(UTC)


def day_end(day: date, zone: str) -> datetime:
    """The UTC instant a day ends at in a zone: the next day's start (exclusive)."""
    return day_start(day + timedelta(days=1), zone)


def local(value: datetime, zone: str) -> datetime:
    """A stored (UTC) date-time as the wall time of a zone, without a zone (for Excel)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def init_app(app: Flask) -> None:
    """Give templates the zone lists (the zone select macro reads them)."""
    app.jinja_env.globals.update(zone_names=ZONES, common_zones=COMMON, other_zones=OTHERS)
