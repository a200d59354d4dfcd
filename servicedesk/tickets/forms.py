"""The fixed part of the new-ticket form; the custom part comes from the forms engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import get_template_attribute
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField, TextAreaField

from ..models import HeldUpload, TicketType
from ..zones import select_timezone
from .service import NewTicket, form_for


class TicketBaseForm(FlaskForm):
    """Subject and description, common to every ticket type."""

    subject = StringField(_l("Subject"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 5})

    def submission(self, form_data: Any, files: Any, channel: str) -> NewTicket:
        """The posted ticket as plain values for the filing service."""
        return NewTicket(
            self.subject.data or "",
            self.description.data or "",
            form_data,
            files,
            channel,
            held=form_data.getlist("held"),
        )


def custom_fields(
    ticket_type: TicketType,
    locale: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    held: Mapping[str, list[HeldUpload]] | None = None,
) -> Markup:
    """The type's current form as HTML, with what was typed and its errors.

    ``held``: each file field's files kept from this refused try, shown ticked in the field
    (their tokens are its values) with their thumbnails and names.
    """
    # Only the custom fields' own errors (keyed by JSON pointer): subject, files and the
    # client are shown by the page beside their own inputs.
    own = _own(errors or {})
    labels: dict[str, str] = {}
    if held:
        values = {**(values or {}), **{k: [h.token for h in rows] for k, rows in held.items()}}
        label = get_template_attribute("_macros/thread.html", "held_label")
        labels = {h.token: label(h) for rows in held.values() for h in rows}
    # The page lists every error once, at the top of the form (error_summary). Date-times
    # show in the zone the page shows every time in (the reader's).
    form = form_for(ticket_type)[1]
    return form.render(
        values, own, locale, summary=False, zone=select_timezone(), file_labels=labels
    )


# The inputs the pages put around the custom fields, by their id (= the error's key).
FIXED_INPUTS = {
    "requester_email": _l("Client's e-mail"),
    "requester_name": _l("Name, for a new client"),
    "subject": _l("Subject"),
    "description": _l("Description"),
}
ATTACHMENTS_INPUT = ("attachments", _l("Attach photos or documents"))


def error_summary(
    ticket_type: TicketType, errors: dict[str, list[str]], locale: str
) -> list[tuple[str, str, str]]:
    """Every error of a filing in page order, as (input id or "", label, message)."""
    items = [
        (key, str(label), message)
        for key, label in FIXED_INPUTS.items()
        for message in errors.get(key, [])
    ]
    if own := _own(errors):
        items += form_for(ticket_type)[1].summary_items(own, locale)
    key, label = ATTACHMENTS_INPUT
    items += [(key, str(label), message) for message in errors.get(key, [])]
    return items


def _own(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The custom fields' own errors (keyed by JSON pointer)."""
    return {key: found for key, found in errors.items() if key.startswith("/") or not key}
