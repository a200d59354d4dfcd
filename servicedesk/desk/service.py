"""Desk rules that are not views: filing a ticket for a client who phoned, wrote or came in."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

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


@dataclass
class Caller:
    """Who the ticket is for, as the desk typed it: an e-mail, and a name for a new client."""

    email: str
    name: str = ""


def file_for_client(
    actor: User, ticket_type: TicketType, new: NewTicket, caller: Caller, locale: str
) -> Ticket:
    """File a ticket for a client, inviting a new one only when the ticket is filed."""
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
    if client is None:
        client = invite_user(
            actor,
            name=caller.name.strip()[:120],
            email=normalise_email(caller.email),
            role=Role.CLIENT,
            language=current_app.config["BABEL_DEFAULT_LOCALE"],
        ).user
    return file_ticket(actor, client, checked)


def _client(actor: User, caller: Caller, errors: dict[str, list[str]]) -> User | None:
    """The registered client with this e-mail (None: a new one), or a problem in errors."""
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
