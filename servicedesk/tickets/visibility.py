"""The rules of who sees what: which tickets (every ticket query starts here), and what of a
ticket's conversation and files (internal notes and their files are the desk's)."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from ..extensions import db
from ..models import Attachment, Comment, Ticket, User


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


def sees_internal(reader: User | None) -> bool:
    """Internal notes and files are for the desk: active collaborators and administrators."""
    return reader is not None and reader.is_authenticated and reader.active and reader.is_staff


def visible_comments(ticket: Ticket, reader: User | None) -> list[Comment]:
    """The ticket's conversation as this reader may see it, oldest first.

    Pages, the API and the PDF all read the thread through here. It filters the loaded
    collection (the ticket pages load it with its authors in one query).
    """
    internal = sees_internal(reader)
    return [c for c in ticket.comments if internal or not c.internal]


def visible_attachments(ticket: Ticket, reader: User | None) -> list[Attachment]:
    """The ticket's files this reader may download, in upload order."""
    query = select(Attachment).where(Attachment.ticket_id == ticket.id)
    if not sees_internal(reader):
        query = query.where(Attachment.internal.is_(False))
    return list(db.session.scalars(query.order_by(Attachment.id)))
