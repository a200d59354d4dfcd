"""The one rule for who sees which ticket: every ticket query starts here."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from ..models import Ticket, User


def visible_tickets(user: User | None) -> Select[Ticket]:
    """Return a query of the tickets this user may see.

    Clients see only the tickets they filed; collaborators and administrators see all.
    """
    query = select(Ticket)
    if user is None or not user.is_authenticated or not user.active:
        return query.where(false())
    if user.is_staff:
        return query
    return query.where(Ticket.requester_id == user.id)
