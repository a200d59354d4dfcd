"""Language choice: the user's setting, else the session's, else Spanish."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format
from flask import Flask, current_app, has_request_context, session
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    get_timezone,
)
from flask_login import current_user
from wtforms import SelectChoice

from forms_engine import date_pattern as engine_date_pattern
from forms_engine import typed_date

from .vocabulary import Channel, EventKind, Priority, Role, SlaState, Status


def select_locale() -> str:
    """Pick the language for this request."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return str(current_user.language)
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app: Flask) -> None:
    """Expose the current language and translated labels to templates."""
    register_labels(app)

    @app.context_processor
    def inject_locale() -> dict[str, object]:
        return {"current_locale": select_locale(), "languages": app.config["LANGUAGES"]}


# Choices for the forms that pick a role or a language, in the order people read them.
ROLE_CHOICES = [
    SelectChoice(role.value, role.label) for role in (Role.CLIENT, Role.COLLABORATOR, Role.ADMIN)
]
LANGUAGE_CHOICES = [SelectChoice("es", "Español"), SelectChoice("en", "English")]  # as spoken


def register_labels(app: Flask) -> None:
    """Give templates the vocabularies, their translated labels and the date formatters."""
    app.jinja_env.globals.update(
        Status=Status,
        status_label=Status.label_of,
        role_label=Role.label_of,
        priority_label=Priority.label_of,
        channel_label=Channel.label_of,
        event_label=EventKind.label_of,
        sla_state_label=SlaState.label_of,
        format_datetime=format_datetime,
        format_date=format_date,
        zoned_datetime=zoned_datetime,
        number=number,
        percent=percent,
        date_pattern=date_pattern,
        typed_date=typed_date,
    )


def date_pattern() -> str:
    """How dates are typed in the reader's language: dd/mm/aaaa, mm/dd/yyyy."""
    return engine_date_pattern(str(get_locale()))


def number(value: float | None, places: int = 1) -> str:
    """A figure in the reader's language (2,0 and 12.345 in Spanish; 2.0 and 12,345 in
    English), with a fixed number of decimals; a dash for no figure."""
    if value is None:
        return "—"
    return str(format_decimal(value, "#,##0" + ("." + "0" * places if places else "")))


def percent(share: float | None) -> str:
    """A share (0.667) as a percentage in the reader's language (67 % or 67%)."""
    return "—" if share is None else str(format_percent(share))


def plain_labels() -> dict[str, dict[str, str]]:
    """Status, priority and channel labels as plain strings, translated once per request.

    List pages show a label per row; resolving lazy strings there costs a gettext lookup each.
    """
    return {
        "status": {s.value: str(s.label) for s in Status},
        "priority": {p.value: str(p.label) for p in Priority},
        "channel": {c.value: str(c.label) for c in Channel},
        "sla": {s.value: str(s.label) for s in SlaState},
    }


# How a date reads per language: Spanish short cuts the year (19/12/26), so it is spelled out.
DATE_PATTERNS = {"es": "dd/MM/yyyy", "en": "medium"}
DATE_TIME_PATTERNS = {"es": "dd/MM/yyyy HH:mm", "en": "MMM d, yyyy, h:mm a"}


def date_text(value: str, locale: str, with_time: bool = False) -> str:
    """An ISO date or RFC 3339 date-time as the language writes it, in the reader's zone.

    2026-12-19 reads 19/12/2026 in Spanish and Dec 19, 2026 in English; a date-time with an
    offset is shown in the zone being rendered for (the page's reader, a mail's recipient,
    the organisation's for exports). One without offset (stored before offsets were
    required, and not migrated) is shown as the wall time it says. Anything else as stored.
    """
    try:
        if not with_time:
            return babel_format_date(
                date.fromisoformat(value), DATE_PATTERNS.get(locale, "medium"), locale=locale
            )
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    pattern = DATE_TIME_PATTERNS.get(locale, "medium")
    if moment.tzinfo is None:
        return babel_format(moment, pattern, locale=locale)
    return babel_format(moment, pattern, tzinfo=get_timezone(), locale=locale)


def zoned_datetime(value: datetime) -> str:
    """A stored time in full in the reader's zone, naming it: 19/12/2026 14:05 (Europe/Madrid).

    For mail: a message is read away from the desk, maybe after its reader has moved, so
    the zone is said rather than assumed.
    """
    locale, zone = get_locale(), get_timezone()
    pattern = DATE_TIME_PATTERNS.get(str(locale), "medium")
    return f"{babel_format(value, pattern, tzinfo=zone, locale=locale)} ({zone})"


def short_datetime_formatter() -> Callable[[datetime], str]:
    """A short date-time formatter bound to this request's locale and time zone."""
    locale, zone = get_locale(), get_timezone()
    return lambda value: babel_format(value, "short", tzinfo=zone, locale=locale)
