"""A ticket's two service-level clocks, first response and resolution, as plain values.

Each clock counts business time on the ticket's calendar from its start (the filing for the
first response; the filing or the last reopening for the resolution) and stops when met.
Waiting on the client pauses both: the business time paused is added to each target, so the
dues move by exactly that much. Everything here is a pure function of its arguments; the
service (sla/service.py) reads the row into `Clocks`, calls these, and writes the columns.

Derived columns kept on the row for indexed lists and the escalation job:
- ``next_due``: the earliest due of a counting clock (NULL when paused or none counts);
- ``warn_at``: the earliest warning instant of a counting clock whose breach is not yet
  recorded (NULL once it is: the "at risk" view reads a short index range);
- ``escalate_at``: the next instant the escalation job has something to send.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from ..vocabulary import SlaPhase, SlaState
from .business_time import Calendar, NoBusinessTime, add, between

# Bits of `notified`: which warnings the escalation job sent in the current period.
RESPONSE_WARNED = 1
RESPONSE_BREACHED = 2
RESOLUTION_WARNED = 4
RESOLUTION_BREACHED = 8
RESOLUTION_BITS = RESOLUTION_WARNED | RESOLUTION_BREACHED


@dataclass(frozen=True)
class Targets:
    """What a policy version promises, in business time (None: no such target)."""

    response: timedelta | None
    resolution: timedelta | None
    warn_share: float = 0.75


@dataclass(frozen=True)
class Clocks:
    """A ticket's service-level columns (``sla_`` + the field's name) as values."""

    phase: str = SlaPhase.NONE
    response_due: datetime | None = None
    resolution_due: datetime | None = None
    next_due: datetime | None = None
    warn_at: datetime | None = None
    escalate_at: datetime | None = None
    paused_at: datetime | None = None
    paused_secs: int = 0
    period_start: datetime | None = None
    response_breached: bool | None = None
    resolution_breached: bool | None = None
    response_secs: int | None = None
    resolution_secs: int | None = None
    notified: int = 0

    @classmethod
    def of(cls, row: Any) -> Clocks:
        """Read the clocks from a ticket (or any object with the ``sla_`` attributes)."""
        return cls(**{f.name: getattr(row, "sla_" + f.name) for f in fields(cls)})

    def columns(self) -> dict[str, Any]:
        """The ticket's columns and their values, for an UPDATE or the ORM."""
        return {"sla_" + f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Ticket:
    """What the clocks need to know of a ticket besides its own columns."""

    created_at: datetime
    calendar: Calendar
    targets: Targets


def _secs(amount: timedelta) -> int:
    """Whole seconds of a duration."""
    return int(amount.total_seconds())


def _response_pending(clocks: Clocks, targets: Targets) -> bool:
    """The first-response clock counts: it has a target and is not met."""
    return targets.response is not None and clocks.response_secs is None


def _resolution_pending(clocks: Clocks, targets: Targets) -> bool:
    """The resolution clock counts: it has a target and is not met in this period."""
    return targets.resolution is not None and clocks.resolution_secs is None


def plan(clocks: Clocks, ticket: Ticket, now: datetime) -> Clocks:
    """Recompute dues, warnings, the phase and the job's next instant from the starts."""
    targets, cal = ticket.targets, ticket.calendar
    paused = timedelta(seconds=clocks.paused_secs)
    # (due, warning instant, warned bit, breached bit) of each counting clock.
    counting: list[tuple[datetime, datetime, int, int]] = []
    response_due = clocks.response_due
    if _response_pending(clocks, targets):
        assert targets.response is not None
        found = _instants(cal, ticket.created_at, targets.response, targets.warn_share, paused)
        response_due = found[0] if found else None
        if found:
            counting.append((*found, RESPONSE_WARNED, RESPONSE_BREACHED))
    resolution_due = clocks.resolution_due
    if _resolution_pending(clocks, targets):
        assert targets.resolution is not None
        start = clocks.period_start or ticket.created_at
        found = _instants(cal, start, targets.resolution, targets.warn_share, paused)
        resolution_due = found[0] if found else None
        if found:
            counting.append((*found, RESOLUTION_WARNED, RESOLUTION_BREACHED))
    clocks = replace(clocks, response_due=response_due, resolution_due=resolution_due)
    if not counting:
        missed = clocks.response_breached or clocks.resolution_breached
        phase = SlaPhase.BREACHED if missed else SlaPhase.MET
        return replace(clocks, phase=phase, next_due=None, warn_at=None, escalate_at=None)
    if clocks.paused_at is not None:
        return replace(clocks, phase=SlaPhase.PAUSED, next_due=None, warn_at=None, escalate_at=None)
    return _running(clocks, counting)


def _instants(
    cal: Calendar, start: datetime, target: timedelta, share: float, paused: timedelta
) -> tuple[datetime, datetime] | None:
    """A clock's due and warning instants; None when the calendar never works (no due)."""
    try:
        return add(cal, start, target + paused), add(cal, start, target * share + paused)
    except NoBusinessTime:
        return None


def _running(clocks: Clocks, counting: list[tuple[datetime, datetime, int, int]]) -> Clocks:
    """The derived instants of counting clocks, skipping what the job already sent."""
    notified = clocks.notified
    warnings = [warn for _due, warn, _w, breached in counting if not notified & breached]
    actions = [
        instant
        for due, warn, warned, breached in counting
        for instant, bit in ((warn, warned), (due, breached))
        if not notified & bit
    ]
    return replace(
        clocks,
        phase=SlaPhase.RUNNING,
        next_due=min(due for due, *_rest in counting),
        warn_at=min(warnings) if warnings else None,
        escalate_at=min(actions) if actions else None,
    )


def start(ticket: Ticket, now: datetime) -> Clocks:
    """The clocks of a ticket given a policy now (filing, or a first targeting)."""
    return plan(Clocks(period_start=ticket.created_at), ticket, now)


def pause(clocks: Clocks, ticket: Ticket, now: datetime) -> Clocks:
    """Stop counting while the ticket waits on the client."""
    if clocks.paused_at is not None:
        return clocks
    return plan(replace(clocks, paused_at=now), ticket, now)


def resume(clocks: Clocks, ticket: Ticket, now: datetime) -> Clocks:
    """Count again: the business time paused moves every due of this period."""
    if clocks.paused_at is None:
        return clocks
    waited = _secs(between(ticket.calendar, clocks.paused_at, now))
    resumed = replace(clocks, paused_at=None, paused_secs=clocks.paused_secs + waited)
    return plan(resumed, ticket, now)


def respond(clocks: Clocks, ticket: Ticket, now: datetime) -> Clocks:
    """The desk's first public reply: the first-response clock is met (late or not)."""
    if clocks.response_secs is not None:
        return clocks
    clocks = resume(clocks, ticket, now) if clocks.paused_at else clocks
    taken = _secs(between(ticket.calendar, ticket.created_at, now)) - clocks.paused_secs
    late = None if clocks.response_due is None else now > clocks.response_due
    met = replace(clocks, response_secs=max(taken, 0), response_breached=late)
    return plan(met, ticket, now)


def resolve(clocks: Clocks, ticket: Ticket, now: datetime) -> Clocks:
    """Resolved or closed: the resolution clock is met; an unanswered first response too.

    A ticket solved without a public reply got its answer in the resolution, so its first
    response is measured at the same moment.
    """
    clocks = resume(clocks, ticket, now) if clocks.paused_at else clocks
    if clocks.response_secs is None:
        clocks = respond(clocks, ticket, now)
    if clocks.resolution_secs is not None:
        return clocks
    start_at = clocks.period_start or ticket.created_at
    taken = _secs(between(ticket.calendar, start_at, now)) - clocks.paused_secs
    late = None if clocks.resolution_due is None else now > clocks.resolution_due
    met = replace(clocks, resolution_secs=max(taken, 0), resolution_breached=late)
    return plan(met, ticket, now)


def reopen(clocks: Clocks, ticket: Ticket, now: datetime) -> Clocks:
    """A reopened ticket starts a new resolution period (its warnings may be sent again)."""
    fresh = replace(
        clocks,
        period_start=now,
        paused_at=None,
        paused_secs=0,
        resolution_due=None,
        resolution_secs=None,
        resolution_breached=None,
        notified=clocks.notified & ~RESOLUTION_BITS,
    )
    return plan(fresh, ticket, now)


def notify(clocks: Clocks, ticket: Ticket, now: datetime) -> tuple[Clocks, list[tuple[str, str]]]:
    """The warnings due now, as (clock, "warning" | "breach"), and the clocks that record them.

    A breach found here is recorded on the clock (it is missed even if met later).
    """
    if clocks.phase != SlaPhase.RUNNING:
        return clocks, []
    sent: list[tuple[str, str]] = []
    notified = clocks.notified
    breached = {"response": clocks.response_breached, "resolution": clocks.resolution_breached}
    for name, due, warned_bit, breached_bit in (
        ("response", clocks.response_due, RESPONSE_WARNED, RESPONSE_BREACHED),
        ("resolution", clocks.resolution_due, RESOLUTION_WARNED, RESOLUTION_BREACHED),
    ):
        pending = (
            _response_pending(clocks, ticket.targets)
            if name == "response"
            else _resolution_pending(clocks, ticket.targets)
        )
        if not pending or due is None:
            continue
        if due <= now and not notified & breached_bit:
            # Past the due: the warning is moot, the breach is what is told.
            notified |= breached_bit | warned_bit
            breached[name] = True
            sent.append((name, "breach"))
        elif not notified & warned_bit and warning_at(clocks, ticket, name) <= now:
            notified |= warned_bit
            sent.append((name, "warning"))
    changed = replace(
        clocks,
        notified=notified,
        response_breached=breached["response"],
        resolution_breached=breached["resolution"],
    )
    return plan(changed, ticket, now), sent


def warning_at(clocks: Clocks, ticket: Ticket, name: str) -> datetime:
    """The warning instant of one clock."""
    targets, paused = ticket.targets, timedelta(seconds=clocks.paused_secs)
    if name == "response":
        assert targets.response is not None
        start_at, target = ticket.created_at, targets.response
    else:
        assert targets.resolution is not None
        start_at, target = clocks.period_start or ticket.created_at, targets.resolution
    found = _instants(ticket.calendar, start_at, target, ticket.targets.warn_share, paused)
    return found[1] if found else start_at


def state(clocks: Clocks, now: datetime) -> SlaState:
    """Where the ticket stands now: the phase, and for a counting clock, the time."""
    if clocks.phase == SlaPhase.RUNNING:
        if clocks.next_due is not None and clocks.next_due <= now:
            return SlaState.BREACHED
        if clocks.warn_at is not None and clocks.warn_at <= now:
            return SlaState.AT_RISK
        return SlaState.ON_TIME
    return {
        SlaPhase.PAUSED: SlaState.PAUSED,
        SlaPhase.MET: SlaState.MET,
        SlaPhase.BREACHED: SlaState.BREACHED,
    }.get(SlaPhase(clocks.phase), SlaState.NONE)


def verdict(
    breached: bool | None, taken: int | None, due: datetime | None, phase: str, now: datetime
) -> bool | None:
    """Whether one clock missed its target (True), met it (False) or is undecided (None).

    Missed: met late, or still counting past its due now (before the escalation job has
    recorded the breach). The reports count the same in SQL (reports/compliance.py).
    """
    if breached is not None:
        return breached
    if taken is None and phase == SlaPhase.RUNNING and due is not None and due <= now:
        return True
    return None
