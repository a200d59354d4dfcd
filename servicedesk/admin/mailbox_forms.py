"""The form of an IMAP mailbox in Administración → Service Desk → Buzones de correo."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField

from ..models import MailSecurity

SECURITY_CHOICES = [
    SelectChoice(MailSecurity.TLS.value, _l("TLS (usually port 993)")),
    SelectChoice(MailSecurity.STARTTLS.value, _l("STARTTLS (usually port 143)")),
]


class MailboxForm(FlaskForm):
    """Where to connect, whose mail it is and where handled mail goes; the rules check it."""

    name = StringField(_l("Name"))
    address = StringField(_l("Address"))
    # Ids are read by the view and checked by the rules, so a stale choice is a field error.
    area_id = SelectField(_l("Area"), validate_choice=False)
    ticket_type_id = SelectField(_l("Default ticket type"), validate_choice=False)
    host = StringField(_l("IMAP server"))
    port = StringField(_l("Port"))
    security = SelectField(_l("Security"), choices=SECURITY_CHOICES, validate_choice=False)
    username = StringField(_l("User name"))
    # Never rendered with its value: the stored password is not shown back.
    password = PasswordField(_l("Password or app password"))
    folder = StringField(_l("Folder to read"))
    done_folder = StringField(_l("Folder for handled mail"))
    rejected_folder = StringField(_l("Folder for rejected mail"))
    active = BooleanField(_l("Active: read this mailbox"))
