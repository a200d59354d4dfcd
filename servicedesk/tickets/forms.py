"""The fixed part of the new-ticket form; the custom part comes from the forms engine."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class TicketBaseForm(FlaskForm):
    """Subject and description, common to every ticket type."""

    subject = StringField(_l("Subject"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 5})
