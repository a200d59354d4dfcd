"""A ticket's two clocks as the desk's ticket page shows them: target, due, state, time taken.

Read from the ticket's columns and the policy version it holds (two small lookups: the
version and, for a counting clock, its calendar); nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..extensions import db
from ..models import SlaPhase, SlaPolicyVersion, SlaState, Ticket, utcnow
from . import clock
from .service import calendar_for, targets_of


@dataclass(frozen=True)
class Clock:
    """One clock: its target (business time), due, state, and when met, how long it took."""

    key: str  # "response" or "resolution"
    target: timedelta | None
    due: datetime | None
    state: SlaState
    met_at: datetime | None
    taken: timedelta | None
    paused_since: datetime | None


@dataclass(frozen=True)
class Panel:
    """The policy (name and version) and both clocks of a ticket."""

    policy: str
    version: int
    warn_percent: int
    clocks: list[Clock]


def panel(ticket: Ticket, now: datetime | None = None) -> Panel | None:
    """How the ticket stands against its targets now; None when no policy applies."""
    if ticket.sla_version_id is None:
        return None
    version = db.session.get(SlaPolicyVersion, ticket.sla_version_id)
    if version is None:
        return None
    now = now or utcnow()
    targets, clocks = targets_of(version), clock.Clocks.of(ticket)
    subject: clock.Ticket | None = None
    if clocks.phase == SlaPhase.RUNNING:
        subject = clock.Ticket(ticket.created_at, calendar_for(ticket.area_id), targets)
    resolved_at = ticket.resolved_at or ticket.closed_at
    return Panel(
        version.policy.name,
        version.number,
        version.warn_percent,
        [
            _clock(
                "response",
                targets.response,
                clocks.response_due,
                clocks.response_secs,
                clocks.response_breached,
                ticket.first_response_at or resolved_at,
                clocks,
                subject,
                now,
            ),
            _clock(
                "resolution",
                targets.resolution,
                clocks.resolution_due,
                clocks.resolution_secs,
                clocks.resolution_breached,
                resolved_at,
                clocks,
                subject,
                now,
            ),
        ],
    )


def _clock(
    key: str,
    target: timedelta | None,
    due: datetime | None,
    secs: int | None,
    breached: bool | None,
    met_at: datetime | None,
    clocks: clock.Clocks,
    subject: clock.Ticket | None,
    now: datetime,
) -> Clock:
    """One clock's reading: no target, met (on time or late), paused, or counting."""
    if target is None:
        return Clock(key, None, None, SlaState.NONE, None, None, None)
    if secs is not None:
        state = SlaState.BREACHED if breached else SlaState.MET
        return Clock(key, target, due, state, met_at, timedelta(seconds=secs), None)
    if clocks.paused_at is not None:
        return Clock(key, target, due, SlaState.PAUSED, None, None, clocks.paused_at)
    state = SlaState.ON_TIME
    if due is not None and due <= now:
        state = SlaState.BREACHED
    elif subject is not None and clock.warning_at(clocks, subject, key) <= now:
        state = SlaState.AT_RISK
    return Clock(key, target, due, state, None, None, None)


def duration_text(amount: timedelta | None) -> str:
    """Business time as hours and minutes ("26 h 05 min"), the same in Spanish and English."""
    if amount is None:
        return "—"
    minutes = int(amount.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
