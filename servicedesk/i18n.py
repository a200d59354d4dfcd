"""Language choice: the user's setting, else the session's, else Spanish."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from babel.dates import format_datetime as babel_format
from flask import Flask, current_app, has_request_context, session
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice


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


STATUS_LABELS = {
    "new": _l("New"),
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "waiting": _l("Waiting on client"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "collaborator": _l("Collaborator"),
    "client": _l("Client"),
}


PRIORITY_LABELS = {
    "low": _l("Low"),
    "normal": _l("Normal"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}
CHANNEL_LABELS = {
    "portal": _l("Portal"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "walk_in": _l("In person"),
    "api": _l("API"),
}
# Choices for the forms that pick a role or a language, in the order people read them.
ROLE_CHOICES = [
    SelectChoice(role, ROLE_LABELS[role]) for role in ("client", "collaborator", "admin")
]
LANGUAGE_CHOICES = [SelectChoice("es", "Español"), SelectChoice("en", "English")]  # as spoken

EVENT_LABELS = {
    "created": _l("filed the ticket"),
    "reply": _l("replied"),
    "note": _l("added an internal note"),
    "status": _l("changed the status"),
    "took_ownership": _l("took ownership"),
    "assigned": _l("assigned the ticket"),
    "priority": _l("changed the priority"),
    "area": _l("changed the area"),
    "fields": _l("edited fields"),
    "reopened": _l("reopened the ticket"),
    "feedback": _l("rated the service"),
    "attached": _l("attached files"),
}


def register_labels(app: Flask) -> None:
    """Give templates the translated labels of statuses and roles."""
    app.jinja_env.globals["status_label"] = lambda value: STATUS_LABELS.get(value, value)
    app.jinja_env.globals["format_datetime"] = format_datetime
    app.jinja_env.globals["format_date"] = format_date
    app.jinja_env.globals["role_label"] = lambda value: ROLE_LABELS.get(value, value)
    app.jinja_env.globals["priority_label"] = lambda value: PRIORITY_LABELS.get(value, value)
    app.jinja_env.globals["channel_label"] = lambda value: CHANNEL_LABELS.get(value, value)
    app.jinja_env.globals["event_label"] = lambda value: EVENT_LABELS.get(value, value)


def plain_labels() -> dict[str, dict[str, str]]:
    """Status, priority and channel labels as plain strings, translated once per request.

    List pages show a label per row; resolving lazy strings there costs a gettext lookup each.
    """
    return {
        "status": {k: str(v) for k, v in STATUS_LABELS.items()},
        "priority": {k: str(v) for k, v in PRIORITY_LABELS.items()},
        "channel": {k: str(v) for k, v in CHANNEL_LABELS.items()},
    }


def short_datetime_formatter() -> Callable[[datetime], str]:
    """A short date-time formatter bound to this request's locale and time zone."""
    locale, zone = get_locale(), get_timezone()
    return lambda value: babel_format(value, "short", tzinfo=zone, locale=locale)
