"""Load tickets for the current user through the visibility rule (404 otherwise)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Comment, Ticket, TicketEvent
from .visibility import visible_tickets

# Ticket numbers are BIGINT: a larger number in a URL cannot exist (and would make
# PostgreSQL raise "out of range" instead of answering "no such row").
MAX_NUMBER = 2**63 - 1


def ticket_or_404(number: int) -> Ticket:
    """Return a ticket the current user may see, with what its page shows, or 404."""
    if number > MAX_NUMBER:
        abort(404)
    ticket = db.session.scalar(
        visible_tickets(current_user)
        .where(Ticket.number == number)
        .options(
            joinedload(Ticket.type_version),
            joinedload(Ticket.requester),
            joinedload(Ticket.assignee),
            joinedload(Ticket.area),
            selectinload(Ticket.comments).joinedload(Comment.author),
        )
    )
    if ticket is None:
        abort(404)
    return ticket


def timeline(ticket: Ticket) -> list[TicketEvent]:
    """The ticket's events, oldest first, each with its actor (the desk's page and PDF)."""
    return list(
        db.session.scalars(
            db.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .options(joinedload(TicketEvent.actor))
            .order_by(TicketEvent.created_at, TicketEvent.id)
        )
    )


def owned_or_404(model: Any, object_id: int) -> Any:
    """Return a row of this model that belongs to the current user (user_id), or 404.

    Saved views and exports are private: anyone else's answers as if it did not exist.
    """
    row = db.session.get(model, object_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    return row
