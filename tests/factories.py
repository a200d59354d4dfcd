"""Small factories for test data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from servicedesk.extensions import db
from servicedesk.models import Ticket, TicketType, TicketTypeVersion, User

SIMPLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ubicacion": {"type": "string", "title": "Ubicación", "maxLength": 100}},
}


def make_type(
    key: str = "soporte", name: str = "Soporte", schema: dict[str, Any] | None = None
) -> TicketTypeVersion:
    """Create a ticket type with its first version."""
    ticket_type = TicketType(key=key, name=name, current_version=1)
    version = TicketTypeVersion(
        ticket_type=ticket_type, number=1, schema=schema or SIMPLE_SCHEMA, ui={}
    )
    db.session.add_all([ticket_type, version])
    db.session.commit()
    return version


def make_ticket(
    requester: User, version: TicketTypeVersion, subject: str = "Fuga de agua", **fields: Any
) -> Ticket:
    """File a ticket directly in the database."""
    number = (db.session.scalar(select(func.max(Ticket.number))) or 0) + 1
    ticket = Ticket(
        number=number,
        ticket_type_id=version.ticket_type_id,
        type_version_id=version.id,
        subject=subject,
        requester_id=requester.id,
        **fields,
    )
    db.session.add(ticket)
    db.session.commit()
    return ticket
