"""One streamed query of the ticket history for reports and exports (no query per row)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Select, and_, func, null, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import (
    Area,
    Feedback,
    SlaPolicy,
    SlaPolicyVersion,
    Ticket,
    TicketType,
    TicketTypeVersion,
    User,
)

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

    @property
    def first_response_hours(self) -> float | None:
        """Hours from filing to the desk's first public answer."""
        return hours(self.created_at, self.first_response_at)

    @property
    def resolution_hours(self) -> float | None:
        """Hours from filing to resolution."""
        return hours(self.created_at, self.resolved_at)


def hours(start: datetime, end: datetime | None) -> float | None:
    """Elapsed hours, rounded to hundredths (None without an end)."""
    return None if end is None else round((end - start).total_seconds() / 3600, 2)


# The columns the history and the export share, in their order.
_DESCRIBED = (
    Ticket.subject,
    Ticket.status,
    Ticket.priority,
    Area.name,
    Ticket.channel,
    Requester.name,
    Assignee.name,
)
_DATES = (Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at, Ticket.closed_at)
_RATED = (Feedback.rating, Feedback.comment)


def history_select(ticket_ids: Select[Any]) -> Select[Any]:
    """Columns of the history for the tickets selected by a (visible, filtered) query."""
    return _joined(
        select(
            Ticket.id,
            Ticket.number,
            TicketType.name,
            Ticket.type_version_id,
            TicketTypeVersion.number,
            *_DESCRIBED,
            *_DATES,
            *_RATED,
        ),
        ticket_ids,
    )


def _joined(columns: Select[*tuple[Any, ...]], ticket_ids: Select[Any]) -> Select[Any]:
    """The history's joins, filter and order (by ticket number) for a list of columns."""
    return (
        columns.join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(TicketTypeVersion, TicketTypeVersion.id == Ticket.type_version_id)
        .join(Requester, Requester.id == Ticket.requester_id)
        .outerjoin(Assignee, Assignee.id == Ticket.assignee_id)
        .outerjoin(Area, Area.id == Ticket.area_id)
        .outerjoin(
            Feedback,
            and_(Feedback.ticket_id == Ticket.id, Feedback.closure == Ticket.closure_count),
        )
        .where(Ticket.id.in_(ticket_ids.with_only_columns(Ticket.id).order_by(None)))
        .order_by(Ticket.number)
    )


def rows(ticket_ids: Select[Any], batch: int = 2000, limit: int | None = None) -> Iterator[Row]:
    """Stream history rows in constant memory (the first `limit` by number, if given)."""
    query = history_select(ticket_ids).limit(limit).execution_options(yield_per=batch)
    result = db.session.execute(query)
    for values in result:
        yield Row(*values)


class utc_wall_time(FunctionElement[datetime]):  # noqa: N801 - used like a SQL function
    """A stored date-time as naive UTC wall time (Excel has no time zones), converted by the
    database, so no Python runs per value.

    PostgreSQL: timezone('UTC', column) turns the timestamptz into a plain timestamp, whatever
    the session's time zone. SQLite stores UTC wall time as text already: the column as is.
    """

    type = DateTime()
    name = "utc_wall_time"
    inherit_cache = True


@compiles(utc_wall_time)
def _stored_utc(element: utc_wall_time, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(utc_wall_time, "postgresql")
def _at_utc(element: utc_wall_time, compiler: Any, **kw: Any) -> str:
    return f"timezone('UTC', {compiler.process(element.clauses, **kw)})"


# The service-level columns of the export: the policy's name (joined), the two dues (as the
# other dates), met or missed, the business seconds taken, and what the state is derived
# from at export time (clock.state: phase, next due, warning).
_SLA_DUES = (Ticket.sla_response_due, Ticket.sla_resolution_due)
_SLA_OUTCOMES = (
    Ticket.sla_response_breached,
    Ticket.sla_resolution_breached,
    Ticket.sla_response_secs,
    Ticket.sla_resolution_secs,
)
_SLA_INSTANTS = (Ticket.sla_next_due, Ticket.sla_warn_at)

# Positions in an export row (export_rows()): the fixed columns, the service-level ones, then
# what the custom columns are made of.
(
    NUMBER,
    TYPE_NAME,
    VERSION,
    SUBJECT,
    STATUS,
    PRIORITY,
    AREA,
    CHANNEL,
    REQUESTER,
    ASSIGNEE,
    CREATED,
    FIRST_RESPONSE,
    RESOLVED,
    CLOSED,
    RATING,
    COMMENT,
    POLICY,
    RESPONSE_DUE,
    RESOLUTION_DUE,
    RESPONSE_BREACHED,
    RESOLUTION_BREACHED,
    RESPONSE_SECS,
    RESOLUTION_SECS,
    SLA_PHASE,
    NEXT_DUE,
    WARN_AT,
    VERSION_ID,
    DATA,
) = range(28)


def export_select(ticket_ids: Select[Any], custom: bool) -> Select[Any]:
    """The history as plain columns in export order (the positions above).

    Dates come back as naive UTC. Version id and data are read only if `custom` (NULLs
    otherwise): the whole history (no type, so no custom columns) decodes no JSON. The
    policy's name comes from two outer joins on primary keys (NULL without a policy).
    """
    columns = [
        Ticket.number,
        TicketType.name,
        TicketTypeVersion.number,
        *_DESCRIBED,
        *(utc_wall_time(c).label(c.key) for c in _DATES),
        *_RATED,
        SlaPolicy.name.label("sla_policy"),
        *(utc_wall_time(c).label(c.key) for c in _SLA_DUES),
        *_SLA_OUTCOMES,
        Ticket.sla_phase,
        *(utc_wall_time(c).label(c.key) for c in _SLA_INSTANTS),
    ]
    if custom:
        columns += [Ticket.type_version_id, Ticket.data]
    else:  # the same shape, without reading the JSON
        columns += [null().label("type_version_id"), null().label("data")]
    return (
        _joined(select(*columns), ticket_ids)
        .outerjoin(SlaPolicyVersion, SlaPolicyVersion.id == Ticket.sla_version_id)
        .outerjoin(SlaPolicy, SlaPolicy.id == SlaPolicyVersion.policy_id)
    )


def export_rows(ticket_ids: Select[Any], custom: bool, batch: int = 2000) -> Iterator[Any]:
    """Stream export rows (tuple-like, see export_select) in constant memory.

    Core execution on the session's connection: no ORM entities, no Row dataclass per ticket.
    """
    result = db.session.connection().execute(
        export_select(ticket_ids, custom), execution_options={"yield_per": batch}
    )
    for part in result.partitions():
        yield from part


def count(ticket_ids: Select[Any]) -> int:
    """How many tickets a query selects."""
    query = ticket_ids.with_only_columns(func.count(Ticket.id)).order_by(None)
    return db.session.scalar(query) or 0
