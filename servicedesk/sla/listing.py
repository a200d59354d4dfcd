"""Service-level states as SQL conditions: the one place the Tablero, the API and reports read.

Each condition is the SQL twin of ``clock.state`` on the stored columns (tests check that
both agree on tickets in every state, on SQLite and PostgreSQL). The counting states read
the indexed instants: "overdue" and "at risk" are short ranges of ``ix_tickets_sla_next_due``
and ``ix_tickets_sla_warn``, since ``sla_next_due`` and ``sla_warn_at`` are NULL unless a
clock counts (so only open tickets have them: resolving meets every clock).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_

from ..models import SlaPhase, SlaState, Ticket
from . import clock

STATES = SlaState.values()


def overdue(now: datetime) -> Any:
    """Open tickets past a due now: the "Vencidos" view (an index range)."""
    return Ticket.sla_next_due <= now


def at_risk(now: datetime) -> Any:
    """Tickets past a warning but not yet due: the "En riesgo" view (an index range)."""
    return and_(Ticket.sla_warn_at <= now, Ticket.sla_next_due > now)


def condition(state: str, now: datetime) -> Any:
    """The tickets in one state now (the same answer as ``clock.state`` on each row)."""
    if state == SlaState.BREACHED:
        return or_(overdue(now), Ticket.sla_phase == SlaPhase.BREACHED)
    if state == SlaState.AT_RISK:
        return at_risk(now)
    if state == SlaState.ON_TIME:
        return and_(
            Ticket.sla_phase == SlaPhase.RUNNING,
            Ticket.sla_next_due > now,
            or_(Ticket.sla_warn_at.is_(None), Ticket.sla_warn_at > now),
        )
    return Ticket.sla_phase == SlaPhase(state)


def any_of(states: list[str], now: datetime) -> Any:
    """The tickets in any of these states now."""
    return or_(*(condition(state, now) for state in states))


def row_state(row: Any, now: datetime) -> SlaState:
    """The state of a list line, from the few columns a page query selects."""
    return clock.state(
        clock.Clocks(phase=row.sla_phase, next_due=row.sla_next_due, warn_at=row.sla_warn_at), now
    )
