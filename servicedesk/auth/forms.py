"""Forms for logging in and setting passwords."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..emails import MAX_LENGTH, is_email
from ..i18n import LANGUAGE_CHOICES, ROLE_CHOICES

MIN_PASSWORD = 10


class EmailAddress:
    """Refuse an address the app's one e-mail rule refuses (emails.is_email)."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        """Raise the message when the address is not one mail could go to."""
        if not is_email(field.data or ""):
            raise ValidationError(self.message)


def email_field(checked: bool = True) -> EmailField:
    """A required e-mail field; checked unless it only looks someone up (sign-in)."""
    validators: list[Any] = [DataRequired(_l("Enter your e-mail."))]
    if checked:
        validators.append(EmailAddress(_l("Enter a valid e-mail address.")))
    validators.append(Length(max=MAX_LENGTH))
    return EmailField(_l("E-mail"), validators=validators)


class LoginForm(FlaskForm):
    """E-mail and password."""

    # Not checked: any text is looked up, and an unknown address fails like a wrong password.
    email = email_field(checked=False)
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)]
    )
    remember = BooleanField(_l("Keep me signed in"))


class ForgotForm(FlaskForm):
    """Ask for a reset link."""

    email = email_field()


class SetPasswordForm(FlaskForm):
    """Choose a new password, twice."""

    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a password.")),
            Length(
                min=MIN_PASSWORD, max=200, message=_l("Use between %(min)d and %(max)d characters.")
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )


class InviteForm(FlaskForm):
    """Create an account and send its invitation."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=120)])
    email = email_field()
    role = SelectField(
        _l("Role"),
        choices=ROLE_CHOICES,
    )
    language = SelectField(
        _l("Language"),
        choices=LANGUAGE_CHOICES,
    )
