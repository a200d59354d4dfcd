"""Service levels on tickets: which policy applies, and the clocks moved by what happens.

The ticket workflow calls these at each change (filing, status, first public reply, the
client's answer, priority or area); each returns or sets the ticket's ``sla_`` columns and
records an internal "sla" event on the timeline. Like every service, nothing here commits.
The arithmetic is in sla/clock.py and sla/business_time.py; this module reads the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, true

from ..extensions import db
from ..models import (
    ACTIVE_STATUSES,
    Area,
    EventKind,
    SlaCalendar,
    SlaPhase,
    SlaPolicy,
    SlaPolicyVersion,
    SlaState,
    Status,
    Ticket,
    TicketEvent,
    User,
    utcnow,
)
from ..zones import organisation_zone
from . import clock
from .business_time import Calendar


@dataclass(frozen=True)
class Applied:
    """A policy version (its id) and the targets it gives."""

    version_id: int
    name: str
    targets: clock.Targets
    # The ticket's calendar when the choice read it too (None: read it when needed).
    calendar: Calendar | None = None


# Calendars as business_time reads them, by (id, updated_at): a filing reads the calendar's
# id and date of change, and converts its rows only when they changed (a process's cache;
# every edit sets updated_at, so no process keeps an old one).
_calendars: dict[tuple[int, datetime], Calendar] = {}


def to_calendar(row: SlaCalendar | None) -> Calendar:
    """The business-time calendar of a row; none: around the clock in the organisation's zone."""
    if row is None:
        return Calendar.always(organisation_zone())
    hours = {
        int(day): tuple((int(start), int(end)) for start, end in ranges)
        for day, ranges in (row.hours or {}).items()
    }
    once, yearly = set(), set()
    for holiday in row.holidays or []:
        day = date.fromisoformat(holiday["date"])
        (yearly.add((day.month, day.day)) if holiday.get("yearly") else once.add(day))
    return Calendar(ZoneInfo(row.zone), hours, frozenset(once), frozenset(yearly))


# The calendar of a ticket's area: its own, else the organisation's default (by the lowest
# id, should there be two); the area is the statement's "area_id" parameter.
_OWN_CALENDAR = select(Area.calendar_id).where(Area.id == bindparam("area_id")).scalar_subquery()
_DEFAULT_CALENDAR = (
    select(SlaCalendar.id)
    .where(SlaCalendar.is_default)
    .order_by(SlaCalendar.id)
    .limit(1)
    .scalar_subquery()
)
_AREA_CALENDAR = (
    select(SlaCalendar.id, SlaCalendar.updated_at)
    .where(SlaCalendar.id == func.coalesce(_OWN_CALENDAR, _DEFAULT_CALENDAR))
    .subquery("area_calendar")
)


def _cached_calendar(calendar_id: int | None, updated_at: datetime) -> Calendar:
    """A calendar by its id and date of change, converted once per change (none: always)."""
    if calendar_id is None:
        return to_calendar(None)
    key = (calendar_id, updated_at)
    found = _calendars.get(key)
    if found is None:
        found = _calendars[key] = to_calendar(db.session.get(SlaCalendar, calendar_id))
    return found


def calendar_for(area_id: int | None) -> Calendar:
    """The calendar of an area: its own, else the organisation's default (one query)."""
    row = db.session.execute(
        select(_AREA_CALENDAR.c.id, _AREA_CALENDAR.c.updated_at), {"area_id": area_id}
    ).first()
    return _cached_calendar(*row) if row else to_calendar(None)


def targets_of(version: SlaPolicyVersion | Any) -> clock.Targets:
    """The targets of a policy version as durations."""

    def minutes(value: int | None) -> timedelta | None:
        return None if value is None else timedelta(minutes=value)

    return clock.Targets(
        minutes(version.first_response_minutes),
        minutes(version.resolution_minutes),
        version.warn_percent / 100,
    )


def current_policies() -> list[tuple[SlaPolicy, SlaPolicyVersion]]:
    """Active policies with their current version, in the order rules are tried."""
    rows = db.session.execute(
        select(SlaPolicy, SlaPolicyVersion)
        .join(
            SlaPolicyVersion,
            (SlaPolicyVersion.policy_id == SlaPolicy.id)
            & (SlaPolicyVersion.number == SlaPolicy.current_version),
        )
        .where(SlaPolicy.active)
        .order_by(SlaPolicy.is_default, SlaPolicy.position, SlaPolicy.id)
    )
    return [(policy, version) for policy, version in rows]


def matches(version: SlaPolicyVersion | Any, ticket: Ticket) -> bool:
    """Whether every rule of a version admits the ticket (an empty rule admits anything)."""
    checks: Iterable[tuple[list[Any], Any]] = (
        (version.type_ids, ticket.ticket_type_id),
        (version.priorities, ticket.priority),
        (version.area_ids, ticket.area_id),
        (version.channels, ticket.channel),
    )
    return all(not allowed or value in allowed for allowed, value in checks)


# What choosing a policy reads of each: plain columns, no ORM objects to build per filing;
# with them, the calendar of the ticket's area, so a filing asks once for both.
_RULES = (
    select(
        SlaPolicy.name,
        SlaPolicy.is_default,
        SlaPolicyVersion.id,
        SlaPolicyVersion.type_ids,
        SlaPolicyVersion.priorities,
        SlaPolicyVersion.area_ids,
        SlaPolicyVersion.channels,
        SlaPolicyVersion.first_response_minutes,
        SlaPolicyVersion.resolution_minutes,
        SlaPolicyVersion.warn_percent,
        _AREA_CALENDAR.c.id.label("calendar_id"),
        _AREA_CALENDAR.c.updated_at.label("calendar_updated_at"),
    )
    .join(
        SlaPolicyVersion,
        (SlaPolicyVersion.policy_id == SlaPolicy.id)
        & (SlaPolicyVersion.number == SlaPolicy.current_version),
    )
    .outerjoin(_AREA_CALENDAR, true())
    .where(SlaPolicy.active)
    .order_by(SlaPolicy.is_default, SlaPolicy.position, SlaPolicy.id)
)


def choose(ticket: Ticket) -> Applied | None:
    """The first policy whose rules match the ticket, else the default, else none."""
    for rules in db.session.execute(_RULES, {"area_id": ticket.area_id}):
        if rules.is_default or matches(rules, ticket):
            calendar = _cached_calendar(rules.calendar_id, rules.calendar_updated_at)
            return Applied(rules.id, rules.name, targets_of(rules), calendar)
    return None


def policy_name(version_id: int | None) -> str | None:
    """The name of the policy a version belongs to (one query; None without a version)."""
    if version_id is None:
        return None
    return db.session.scalar(
        select(SlaPolicy.name)
        .join(SlaPolicyVersion, SlaPolicyVersion.policy_id == SlaPolicy.id)
        .where(SlaPolicyVersion.id == version_id)
    )


def _applied(ticket: Ticket) -> Applied | None:
    """The policy version the ticket holds (not a fresh choice)."""
    if ticket.sla_version_id is None:
        return None
    version = db.session.get(SlaPolicyVersion, ticket.sla_version_id)
    if version is None:
        return None
    return Applied(version.id, version.policy.name, targets_of(version))


def _subject(ticket: Ticket, applied: Applied, calendar: Calendar | None = None) -> clock.Ticket:
    """What the clocks know of the ticket."""
    created = ticket.created_at or utcnow()
    calendar = calendar or applied.calendar or calendar_for(ticket.area_id)
    return clock.Ticket(created, calendar, applied.targets)


def _write(ticket: Ticket, clocks: clock.Clocks) -> None:
    """Set the ticket's columns through the ORM (its next flush writes them)."""
    for key, value in clocks.columns().items():
        setattr(ticket, key, value)


def _event(ticket: Ticket, actor: User | None, change: str, **data: Any) -> None:
    """Record a service-level change on the timeline (internal: clients do not see it).

    The ticket's ``updated_at`` stays: a clock moving is not someone working on it.
    """
    for key in ("response_due", "resolution_due"):
        value = getattr(ticket, "sla_" + key)
        data.setdefault(key, value.isoformat() if value else None)
    if ticket.id is None:
        # A ticket being filed: the event rides on its INSERT (the relationship gives it the
        # id), added to no session before it, so no query meanwhile flushes the ticket early.
        # It sets the columns the "created" event sets (its time is the column's default):
        # rows with the same columns go out in one INSERT.
        TicketEvent(
            ticket=ticket,
            actor_id=actor.id if actor else None,
            kind=EventKind.SLA,
            internal=True,
            data={"change": change, **data},
        )
        return
    db.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            actor_id=actor.id if actor else None,
            kind=EventKind.SLA,
            internal=True,
            data={"change": change, **data},
            created_at=utcnow(),
        )
    )


def start(ticket: Ticket) -> str | None:
    """Give a new ticket, before its INSERT, the policy its rules choose and start its clocks.

    Done before the INSERT so that the row is written once, its columns with it; returns the
    policy's name, for the "targeted" event the filing records once the ticket has its id.
    """
    applied = choose(ticket)
    if applied is None:
        return None
    now = utcnow()
    ticket.created_at = ticket.created_at or now
    ticket.sla_version_id = applied.version_id
    _write(ticket, clock.start(_subject(ticket, applied), now))
    return applied.name


def status_changed(ticket: Ticket, actor: User | None, previous: str) -> None:
    """Pause on "waiting on the client", resume off it, meet on resolution, renew on reopen."""
    applied = _applied(ticket)
    if applied is None:
        return
    now, subject, clocks = utcnow(), _subject(ticket, applied), clock.Clocks.of(ticket)
    status, done = ticket.status, (Status.RESOLVED, Status.CLOSED)
    change = None
    if status in done and previous not in done:
        clocks, change = clock.resolve(clocks, subject, now), "resolved"
    elif previous in done and status in ACTIVE_STATUSES:
        clocks, change = clock.reopen(clocks, subject, now), "reopened"
        if status == Status.WAITING:
            clocks = clock.pause(clocks, subject, now)
    elif status == Status.WAITING:
        clocks, change = clock.pause(clocks, subject, now), "paused"
    elif previous == Status.WAITING:
        clocks, change = clock.resume(clocks, subject, now), "resumed"
    if change is not None:
        _write(ticket, clocks)
        _event(ticket, actor, change)


def _appended(clocks: clock.Clocks) -> dict[str, Any]:
    """The columns an append writes straight to the row: all but the escalation's bits.

    ``sla_notified`` is the escalation job's (sla/escalation.py), written by a conditional
    UPDATE; a reply read before a pass committed would write the older bits back, and the
    warning would be sent again. Left alone, the next pass reads the bits as they are.
    """
    columns = clocks.columns()
    del columns["sla_notified"]
    return columns


def responded(ticket: Ticket) -> dict[str, Any]:
    """The columns that meet the first-response clock now (the desk's first public reply)."""
    applied = _applied(ticket)
    if applied is None:
        return {}
    return _appended(clock.respond(clock.Clocks.of(ticket), _subject(ticket, applied), utcnow()))


def resumed(ticket: Ticket) -> dict[str, Any]:
    """The columns that restart the clocks now (the client answered while we waited)."""
    applied = _applied(ticket)
    if applied is None:
        return {}
    return _appended(clock.resume(clock.Clocks.of(ticket), _subject(ticket, applied), utcnow()))


def noted(ticket: Ticket, actor: User | None, change: str, **data: Any) -> None:
    """Record on the timeline a clock change written by the caller (filing, reply, resume)."""
    if ticket.sla_version_id is not None:
        _event(ticket, actor, change, **data)


def retarget(ticket: Ticket, actor: User | None, reason: str) -> bool:
    """Choose the policy again after a priority or area change; re-plan when it changed.

    The starts and the time paused stay; met clocks keep their figures.
    """
    applied = choose(ticket)
    if applied is None and ticket.sla_version_id is None:
        return False
    if applied is not None and applied.version_id == ticket.sla_version_id and reason != "area":
        return False
    now = utcnow()
    if applied is None:
        ticket.sla_version_id = None
        _write(ticket, clock.Clocks())
    else:
        ticket.sla_version_id = applied.version_id
        clocks = clock.Clocks.of(ticket)
        subject = _subject(ticket, applied)
        if clocks.phase == SlaPhase.NONE:
            # Targeted for the first time: from its filing, with what already happened.
            clocks = clock.start(subject, now)
            if ticket.first_response_at is not None:
                clocks = clock.respond(clocks, subject, ticket.first_response_at)
            if ticket.status == Status.WAITING:
                clocks = clock.pause(clocks, subject, now)
        _write(ticket, clock.plan(clocks, subject, now))
    _event(ticket, actor, "retargeted", reason=reason, policy=applied.name if applied else None)
    return True


def state_of(ticket: Any, now: datetime | None = None) -> SlaState:
    """Where a ticket (or a row with its ``sla_`` columns) stands now."""
    return clock.state(clock.Clocks.of(ticket), now or utcnow())


def recorded(ticket_id: int) -> list[TicketEvent]:
    """The ticket's service-level events, oldest first."""
    return list(
        db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "sla")
            .order_by(TicketEvent.created_at, TicketEvent.id)
        )
    )
