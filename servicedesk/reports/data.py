"""One streamed query of the ticket history for reports and exports (no query per row)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Area, Feedback, Ticket, TicketType, TicketTypeVersion, User

Requester = aliased(User)
Assignee = aliased(User)


@dataclass(slots=True)
class Row:
    """A ticket as the reports and exports see it."""

    id: int
    number: int
    type_name: str
    version_id: int
    version: int
    subject: str
    status: str
    priority: str
    area: str | None
    channel: str
    requester: str
    assignee: str | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    comment: str | None
    data: dict[str, Any]

    @property
    def first_response_hours(self) -> float | None:
        """Hours from filing to the desk's first public answer."""
        return _hours(self.created_at, self.first_response_at)

    @property
    def resolution_hours(self) -> float | None:
        """Hours from filing to resolution."""
        return _hours(self.created_at, self.resolved_at)


def _hours(start: datetime, end: datetime | None) -> float | None:
    """Elapsed hours, rounded to hundredths."""
    return None if end is None else round((end - start).total_seconds() / 3600, 2)


def history_select(ticket_ids: Select[Any]) -> Select[Any]:
    """Columns of the history for the tickets selected by a (visible, filtered) query."""
    return (
        select(Ticket.id, Ticket.number, TicketType.name, Ticket.type_version_id,
               TicketTypeVersion.number, Ticket.subject, Ticket.status, Ticket.priority,
               Area.name, Ticket.channel, Requester.name, Assignee.name, Ticket.created_at,
               Ticket.first_response_at, Ticket.resolved_at, Ticket.closed_at,
               Feedback.rating, Feedback.comment, Ticket.data)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(TicketTypeVersion, TicketTypeVersion.id == Ticket.type_version_id)
        .join(Requester, Requester.id == Ticket.requester_id)
        .outerjoin(Assignee, Assignee.id == Ticket.assignee_id)
        .outerjoin(Area, Area.id == Ticket.area_id)
        .outerjoin(Feedback, and_(Feedback.ticket_id == Ticket.id,
                                  Feedback.closure == Ticket.closure_count))
        .where(Ticket.id.in_(ticket_ids.with_only_columns(Ticket.id).order_by(None)))
        .order_by(Ticket.number)
    )


def rows(ticket_ids: Select[Any], batch: int = 2000) -> Iterator[Row]:
    """Stream history rows in constant memory."""
    result = db.session.execute(history_select(ticket_ids).execution_options(yield_per=batch))
    for values in result:
        yield Row(*values)


def count(ticket_ids: Select[Any]) -> int:
    """How many tickets a query selects."""
    query = ticket_ids.with_only_columns(func.count(Ticket.id)).order_by(None)
    return db.session.scalar(query) or 0
