"""Desk rules that are not views: filing a ticket for a client who phoned, wrote or came in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, or_, select

from ..auth.service import invite_user
from ..emails import is_email, normalise_email
from ..extensions import db
from ..models import Role, Ticket, TicketType, User
from ..tickets.service import (
    Checked,
    NewTicket,
    TicketInputError,
    check_new,
    file_ticket,
    requester_problem,
)

FOUND_AT_MOST = 10


@dataclass
class Caller:
    """Who the ticket is for, as the desk gave it: a client chosen from the search, or an
    e-mail (a new one with a name), or for someone with no e-mail a name and a phone."""

    email: str = ""
    name: str = ""
    phone: str = ""
    unit: str = ""
    client_id: int | None = None


def find_clients(words: str) -> list[User]:
    """Active clients whose name, unit, phone or e-mail contains what was typed."""
    text = words.strip().lower()[:100]
    if len(text) < 2:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    matches = [
        func.lower(column).like(pattern, escape="\\")
        for column in (User.name, User.unit, User.email, User.phone)
    ]
    if digits := _digits(text):  # "555 12 34" finds 5551234 and 555-1234 alike
        matches.append(_phone_digits().like(f"%{digits}%"))
    query = (
        select(User)
        .where(User.role == Role.CLIENT, User.active.is_(True), or_(*matches))
        .order_by(User.name, User.id)
        .limit(FOUND_AT_MOST)
    )
    return list(db.session.scalars(query))


def _digits(text: str) -> str:
    """Only the digits of a phone number (at least four, else nothing)."""
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) >= 4 else ""


def _phone_digits() -> ColumnElement[str]:
    """The stored phone without its usual separators, in SQL."""
    stripped: ColumnElement[Any] = func.coalesce(User.phone, "")
    for separator in (" ", "-", ".", "(", ")", "+"):
        stripped = func.replace(stripped, separator, "")
    return stripped


def file_for_client(
    actor: User, ticket_type: TicketType, new: NewTicket, caller: Caller, locale: str
) -> Ticket:
    """File a ticket for a client, registering a new one only when the ticket is filed."""
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}
    checked: Checked | None = None
    try:
        checked = check_new(ticket_type, new, locale, actor)
        values = checked.data
    except TicketInputError as exc:
        errors, values = exc.errors, exc.values
    client = _client(actor, caller, errors)
    if errors or checked is None:
        raise TicketInputError(errors, values)
    return file_ticket(actor, client or _register(actor, caller), checked)


def _register(actor: User, caller: Caller) -> User:
    """A new client: invited when there is an e-mail, else recorded by name and phone."""
    if caller.email.strip():
        user = invite_user(
            actor,
            name=caller.name.strip()[:120],
            email=normalise_email(caller.email),
            role=Role.CLIENT,
            language=current_app.config["BABEL_DEFAULT_LOCALE"],
        ).user
    else:
        # Nobody to invite: the desk keeps the caller's name and phone; they never sign in.
        user = User(
            name=caller.name.strip()[:120],
            role=Role.CLIENT,
            language=current_app.config["BABEL_DEFAULT_LOCALE"],
            active=True,
        )
        db.session.add(user)
    user.phone = caller.phone.strip()[:40] or None
    user.unit = caller.unit.strip()[:60] or None
    db.session.flush()
    return user


def _client(actor: User, caller: Caller, errors: dict[str, list[str]]) -> User | None:
    """The registered client meant (None: a new one), or a problem in errors."""
    if caller.client_id is not None:
        chosen = db.session.get(User, caller.client_id)
        if problem := requester_problem(actor, chosen):
            errors["client_id"] = [problem]
        return chosen
    if caller.email.strip():
        return _by_email(actor, caller, errors)
    if not caller.name.strip() or not _digits(caller.phone):
        errors["requester_email"] = [
            _("Choose a client, or give an e-mail, or a name and a phone for someone without one.")
        ]
    return None


def _by_email(actor: User, caller: Caller, errors: dict[str, list[str]]) -> User | None:
    """The client with this e-mail (None: a new one, which needs a name)."""
    email = normalise_email(caller.email)
    if not is_email(email):
        errors["requester_email"] = [_("Enter the client's e-mail.")]
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        if problem := requester_problem(actor, user):
            errors["requester_email"] = [problem]
        return user
    if not caller.name.strip():
        errors["requester_name"] = [_("No client has this e-mail; enter a name to create one.")]
    return None
