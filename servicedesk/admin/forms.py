"""Forms of Administración → Service Desk: areas and users."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import LANGUAGE_CHOICES, ROLE_CHOICES
from ..numbers import coerce_row_id
from .people import PeopleError


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes; ids are checked by the service."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", coerce_row_id)
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AreaForm(FlaskForm):
    """Create an area."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=80)])


class AreaEditForm(AreaForm):
    """Rename an area and choose its members, supervisors and calendar."""

    members = CheckboxListField(_l("Members"))
    supervisors = CheckboxListField(_l("Supervisors"))
    # "" is the organisation's default calendar; an id is checked by the service.
    calendar = SelectField(_l("Calendar"), choices=[], validate_choice=False)


class UserEditForm(FlaskForm):
    """Change a user's name, role, language and areas."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=120)])
    role = SelectField(
        _l("Role"),
        choices=ROLE_CHOICES,
    )
    language = SelectField(
        _l("Language"),
        choices=LANGUAGE_CHOICES,
    )
    areas = CheckboxListField(_l("Areas"))


def show_error(form: FlaskForm, error: PeopleError) -> None:
    """Show a rule's refusal next to its field, or at the top of the page."""
    field = form._fields.get(error.field or "")
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(str(error.message), "danger")
