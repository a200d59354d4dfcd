"""The fixed part of the new-ticket form; the custom part comes from the forms engine."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField, TextAreaField

from ..models import TicketType
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
) -> Markup:
    """The type's current form as HTML, with what was typed and its errors."""
    # Only the custom fields' own errors (keyed by JSON pointer): subject, files and the
    # client are shown by the page beside their own inputs.
    own = {key: found for key, found in (errors or {}).items() if key.startswith("/") or not key}
    return form_for(ticket_type)[1].render(values, own, locale)
