"""Service levels as administrators set them: calendars, policies and their versions, and the
recompute of open tickets after a policy changed.

Like every service, functions flush and never commit. Input from a form comes in as text and
is checked here (SlaInputError carries one translated message per field, so the page can
show each beside its field with what was typed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import selectinload

from forms_engine import date_pattern, date_text, read_date

from ..extensions import db
from ..models import (
    ACTIVE_STATUSES,
    Area,
    Channel,
    EventKind,
    Priority,
    SlaCalendar,
    SlaPhase,
    SlaPolicy,
    SlaPolicyVersion,
    SlaRecompute,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
    User,
    utcnow,
)
from ..zones import ZoneError, check_zone, organisation_zone
from . import clock
from .business_time import DAY_MINUTES, Calendar, NoBusinessTime
from .service import current_policies, matches, targets_of, to_calendar

WEEKDAYS = range(7)  # 0 = Monday, as Python's weekday()
WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NAME_MAX = 80
HOLIDAY_NAME_MAX = 80
MAX_RANGES = 12  # ranges in a day: more is a typing accident, not a timetable
MAX_HOLIDAYS = 200
MAX_TARGET_MINUTES = 365 * 24 * 60  # a year of business time
BATCH = 1000  # open tickets read and written per round of a recompute

# "24 h", "24h", "24 horas", "24 hours", "24/7": open the whole day.
_ALL_DAY = re.compile(r"^24\s*(h|hs|hrs|horas?|hours?|/7)?\.?$", re.IGNORECASE)
_CLOSED = {"", "-", "—", "cerrado", "closed", "x"}
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")
_DASH = re.compile(r"\s*[-–—]\s*|\s+a\s+|\s+to\s+", re.IGNORECASE)


class SlaInputError(ValueError):
    """What a form sent cannot be saved: a translated message per field name."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        # Plain text now: a lazy string formatted with what was typed would be marked safe
        # HTML by Flask-Babel (LazyString.__html__), and the page must escape it.
        self.errors = {key: str(message) for key, message in errors.items()}
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


# ---------------------------------------------------------------- business hours as text


def _minute(text: str, end: bool) -> int | None:
    """Minutes after midnight of "9", "09:00" or "9:30"; 24:00 only as an end."""
    found = _TIME.match(text.strip())
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not end)):
        return None
    return hour * 60 + minute


def clock_text(minute: int) -> str:
    """A minute of the day as 09:00 (24:00 for the end of the day)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_hours(text: str) -> list[list[int]]:
    """A day's working hours from text: "09:00-13:00, 14:00-18:00", "24 h" or empty (closed).

    Raises ValueError with a translated message that names the faulty part.
    """
    text = " ".join(text.split())
    if text.lower() in _CLOSED:
        return []
    if _ALL_DAY.match(text):
        return [[0, DAY_MINUTES]]
    ranges: list[list[int]] = []
    for part in (p.strip() for p in re.split(r"[,;]", text)):
        if not part:
            continue
        bounds = _DASH.split(part)
        if len(bounds) != 2:
            raise ValueError(
                _l("“%(part)s” is not a time range: write it as 09:00-13:00.", part=part[:40])
            )
        start, end = _minute(bounds[0], False), _minute(bounds[1], True)
        if start is None or end is None:
            raise ValueError(
                _l(
                    "“%(part)s” is not a time range: write hours from 00:00 to 24:00, "
                    "as 09:00-13:00.",
                    part=part[:40],
                )
            )
        if end <= start:
            raise ValueError(_l("“%(part)s” ends before it starts.", part=part[:40]))
        ranges.append([start, end])
    if len(ranges) > MAX_RANGES:
        raise ValueError(_l("At most %(n)d ranges a day.", n=MAX_RANGES))
    ranges.sort()
    for before, after in zip(ranges, ranges[1:], strict=False):
        if after[0] < before[1]:
            raise ValueError(
                _l(
                    "%(first)s and %(second)s overlap.",
                    first=hours_text([before]),
                    second=hours_text([after]),
                )
            )
    return ranges


def hours_text(ranges: Iterable[Iterable[int]]) -> str:
    """A day's ranges as the form shows them: "09:00-13:00, 14:00-18:00", "24 h" or ""."""
    pairs = [tuple(r) for r in ranges]
    if pairs == [(0, DAY_MINUTES)]:
        return "24 h"
    return ", ".join(f"{clock_text(start)}-{clock_text(end)}" for start, end in pairs)


# ---------------------------------------------------------------- calendars


@dataclass
class HolidayRow:
    """One holiday as typed: the date in the page's language, a name, repeat every year."""

    day: str = ""
    name: str = ""
    yearly: bool = False


@dataclass
class CalendarInput:
    """A calendar as its form sends it: text throughout, checked by check_calendar."""

    name: str = ""
    zone: str = ""
    days: dict[int, str] = field(default_factory=dict)
    holidays: list[HolidayRow] = field(default_factory=list)
    is_default: bool = False


def calendar_input(row: SlaCalendar | None, locale: str | None) -> CalendarInput:
    """The form's values for a stored calendar (or a new one: 9–18 on weekdays)."""
    if row is None:
        return CalendarInput(
            zone=organisation_zone(),
            days={d: "09:00-18:00" if d < 5 else "" for d in WEEKDAYS},
        )
    return CalendarInput(
        name=row.name,
        zone=row.zone,
        days={d: hours_text((row.hours or {}).get(str(d), [])) for d in WEEKDAYS},
        holidays=[
            HolidayRow(
                date_text(date.fromisoformat(h["date"]), locale),
                str(h.get("name", "")),
                bool(h.get("yearly")),
            )
            for h in row.holidays or []
        ],
        is_default=row.is_default,
    )


@dataclass(frozen=True)
class CheckedCalendar:
    """A calendar's values, ready to store."""

    name: str
    zone: str
    hours: dict[str, list[list[int]]]
    holidays: list[dict[str, Any]]
    is_default: bool


def _clean_name(name: str) -> str:
    """Spaces folded; the empty name refused."""
    return " ".join((name or "").split())


def check_calendar(
    values: CalendarInput, locale: str | None, exclude_id: int | None = None
) -> CheckedCalendar:
    """Check every field of a calendar form; SlaInputError lists each field's problem."""
    errors: dict[str, Any] = {}
    name = _clean_name(values.name)
    if not name:
        errors["name"] = _l("Enter a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _l("At most %(n)d characters.", n=NAME_MAX)
    elif _name_taken(SlaCalendar, name, exclude_id):
        errors["name"] = _l("A calendar with this name already exists.")
    zone = values.zone.strip()
    try:
        zone = check_zone(values.zone)
    except ZoneError as exc:
        errors["zone"] = str(exc)
    hours: dict[str, list[list[int]]] = {}
    for day in WEEKDAYS:
        try:
            hours[str(day)] = parse_hours(values.days.get(day, ""))
        except ValueError as exc:
            errors[f"day-{day}"] = exc.args[0]
    holidays = _check_holidays(values.holidays, locale, errors)
    if not errors and not any(hours.values()):
        errors["day-0"] = _l("Give at least one day some working hours.")
    if errors:
        raise SlaInputError(errors)
    holidays.sort(key=lambda h: (h["date"], h["name"]))
    return CheckedCalendar(name, zone, hours, holidays, values.is_default)


def _check_holidays(
    rows: list[HolidayRow], locale: str | None, errors: dict[str, Any]
) -> list[dict[str, Any]]:
    """The holidays typed, as stored; each row's problem goes into errors."""
    holidays: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        typed, label = row.day.strip(), " ".join(row.name.split())
        if not typed and not label:
            continue  # an empty row (or one emptied to remove the holiday)
        day = read_date(typed, locale) if typed else None
        if day is None or not 1900 <= day.year <= 2999:
            errors[f"holiday-{n}-date"] = (
                _l("Enter the holiday's date.")
                if not typed
                else _l("Enter a date as %(pattern)s.", pattern=date_pattern(locale))
            )
        elif len(label) > HOLIDAY_NAME_MAX:
            errors[f"holiday-{n}-name"] = _l("At most %(n)d characters.", n=HOLIDAY_NAME_MAX)
        else:
            holidays.append({"date": day.isoformat(), "name": label, "yearly": row.yearly})
    if len(holidays) > MAX_HOLIDAYS:
        errors["holidays"] = _l("At most %(n)d holidays.", n=MAX_HOLIDAYS)
    return holidays


def _name_taken(model: Any, name: str, exclude_id: int | None) -> bool:
    """Whether another calendar or policy has this name, ignoring case."""
    query = select(model.id).where(func.lower(model.name) == name.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def save_calendar(row: SlaCalendar | None, checked: CheckedCalendar) -> SlaCalendar:
    """Create or change a calendar; marking it the default unmarks the previous one."""
    if row is None:
        row = SlaCalendar()
        db.session.add(row)
    row.name, row.zone = checked.name, checked.zone
    row.hours, row.holidays = checked.hours, checked.holidays
    row.updated_at = utcnow()
    if checked.is_default and not row.is_default:
        db.session.execute(
            update(SlaCalendar).where(SlaCalendar.is_default).values(is_default=False)
        )
    row.is_default = checked.is_default
    db.session.flush()
    return row


def calendars() -> list[SlaCalendar]:
    """Every calendar, the default first, then by name."""
    return list(
        db.session.scalars(
            select(SlaCalendar).order_by(SlaCalendar.is_default.desc(), SlaCalendar.name)
        )
    )


def calendar_areas() -> dict[int, list[str]]:
    """The names of the areas that use each calendar of their own."""
    out: dict[int, list[str]] = {}
    for calendar_id, name in db.session.execute(
        select(Area.calendar_id, Area.name).where(Area.calendar_id.is_not(None)).order_by(Area.name)
    ):
        if calendar_id is not None:
            out.setdefault(calendar_id, []).append(name)
    return out


# ---------------------------------------------------------------- policies


@dataclass
class PolicyInput:
    """A policy as its form sends it."""

    name: str = ""
    type_ids: list[int] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    area_ids: list[int] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    response_hours: str = ""
    response_minutes: str = ""
    resolution_hours: str = ""
    resolution_minutes: str = ""
    warn_percent: str = "75"
    active: bool = True
    is_default: bool = False


def _split(minutes: int | None) -> tuple[str, str]:
    """A target as the form's hours and minutes ("" and "" for no target)."""
    if minutes is None:
        return "", ""
    return str(minutes // 60), str(minutes % 60)


def policy_input(policy: SlaPolicy | None, version: SlaPolicyVersion | None) -> PolicyInput:
    """The form's values for a stored policy (or a new one)."""
    if policy is None or version is None:
        return PolicyInput()
    rh, rm = _split(version.first_response_minutes)
    sh, sm = _split(version.resolution_minutes)
    return PolicyInput(
        name=policy.name,
        type_ids=list(version.type_ids),
        priorities=list(version.priorities),
        area_ids=list(version.area_ids),
        channels=list(version.channels),
        response_hours=rh,
        response_minutes=rm,
        resolution_hours=sh,
        resolution_minutes=sm,
        warn_percent=str(version.warn_percent),
        active=policy.active,
        is_default=policy.is_default,
    )


@dataclass(frozen=True)
class CheckedPolicy:
    """A policy's values, ready to store: the policy's own and its version's."""

    name: str
    active: bool
    is_default: bool
    rules: dict[str, Any]  # type_ids, priorities, area_ids, channels, the targets, warn_percent


def _whole(text: str) -> int | None:
    """A whole number typed in ASCII digits, else None (empty is None too)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _target(hours: str, minutes: str, name: str, errors: dict[str, Any]) -> int | None:
    """Minutes of a target from its hours and minutes fields (both empty: no target)."""
    if not hours.strip() and not minutes.strip():
        return None
    h = _whole(hours) if hours.strip() else 0
    m = _whole(minutes) if minutes.strip() else 0
    if h is None:
        errors[f"{name}_hours"] = _l("Enter whole hours, such as 4.")
        return None
    if m is None or m > 59:
        errors[f"{name}_minutes"] = _l("Enter minutes from 0 to 59.")
        return None
    total = h * 60 + m
    if total == 0:
        errors[f"{name}_hours"] = _l("A target must be longer than zero; leave it empty for none.")
    elif total > MAX_TARGET_MINUTES:
        errors[f"{name}_hours"] = _l("At most %(n)d hours.", n=MAX_TARGET_MINUTES // 60)
    return total


def check_policy(values: PolicyInput, exclude_id: int | None = None) -> CheckedPolicy:
    """Check every field of a policy form; SlaInputError lists each field's problem."""
    errors: dict[str, Any] = {}
    name = _clean_name(values.name)
    if not name:
        errors["name"] = _l("Enter a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _l("At most %(n)d characters.", n=NAME_MAX)
    elif _name_taken(SlaPolicy, name, exclude_id):
        errors["name"] = _l("A policy with this name already exists.")
    type_ids = sorted(set(values.type_ids))
    known_types = set(db.session.scalars(select(TicketType.id).where(TicketType.id.in_(type_ids))))
    if len(known_types) != len(type_ids):
        errors["type_ids"] = _l("Choose ticket types from the list.")
    area_ids = sorted(set(values.area_ids))
    if len(set(db.session.scalars(select(Area.id).where(Area.id.in_(area_ids))))) != len(area_ids):
        errors["area_ids"] = _l("Choose areas from the list.")
    priorities = [p for p in Priority.values() if p in values.priorities]
    if len(priorities) != len(set(values.priorities)):
        errors["priorities"] = _l("Choose priorities from the list.")
    channels = [c for c in Channel.values() if c in values.channels]
    if len(channels) != len(set(values.channels)):
        errors["channels"] = _l("Choose channels from the list.")
    response = _target(values.response_hours, values.response_minutes, "response", errors)
    resolution = _target(values.resolution_hours, values.resolution_minutes, "resolution", errors)
    warn = _whole(values.warn_percent) if values.warn_percent.strip() else 75
    if warn is None or not 1 <= warn <= 99:
        errors["warn_percent"] = _l("Enter a whole percentage from 1 to 99.")
    if errors:
        raise SlaInputError(errors)
    rules = {
        "type_ids": type_ids,
        "priorities": priorities,
        "area_ids": area_ids,
        "channels": channels,
        "first_response_minutes": response,
        "resolution_minutes": resolution,
        "warn_percent": warn,
    }
    return CheckedPolicy(name, values.active or values.is_default, values.is_default, rules)


def _rules_of(version: SlaPolicyVersion) -> dict[str, Any]:
    """A version's rules and targets, as check_policy gives them."""
    return {
        "type_ids": sorted(version.type_ids),
        "priorities": list(version.priorities),
        "area_ids": sorted(version.area_ids),
        "channels": list(version.channels),
        "first_response_minutes": version.first_response_minutes,
        "resolution_minutes": version.resolution_minutes,
        "warn_percent": version.warn_percent,
    }


def current_version(policy: SlaPolicy) -> SlaPolicyVersion:
    """The version new tickets get."""
    version = db.session.scalar(
        select(SlaPolicyVersion).where(
            SlaPolicyVersion.policy_id == policy.id,
            SlaPolicyVersion.number == policy.current_version,
        )
    )
    assert version is not None, "a policy always has its current version"
    return version


def _unmark_default(keep: SlaPolicy) -> None:
    """One default policy: the others stop being it."""
    db.session.execute(
        update(SlaPolicy)
        .where(SlaPolicy.is_default, SlaPolicy.id != keep.id)
        .values(is_default=False)
    )


def create_policy(checked: CheckedPolicy, actor: User | None) -> SlaPolicy:
    """A new policy with its version 1, tried after the existing ones."""
    last = db.session.scalar(select(func.max(SlaPolicy.position))) or 0
    policy = SlaPolicy(
        name=checked.name,
        position=last + 1,
        is_default=checked.is_default,
        active=checked.active,
        current_version=1,
    )
    db.session.add(policy)
    db.session.flush()
    db.session.add(
        SlaPolicyVersion(policy_id=policy.id, number=1, created_by=actor, **checked.rules)
    )
    if checked.is_default:
        _unmark_default(policy)
    db.session.flush()
    return policy


def update_policy(policy: SlaPolicy, checked: CheckedPolicy, actor: User | None) -> bool:
    """Change a policy; new rules or targets make version N+1 (tickets keep theirs).

    Returns whether a new version was made. The name, order, default mark and active switch
    are the policy's, not versioned.
    """
    current = current_version(policy)
    changed = _rules_of(current) != checked.rules
    if changed:
        # The row lock makes two edits at once number their versions one after the other;
        # the unique (policy, number) settles it where the database has no row locks.
        number = db.session.scalar(
            select(SlaPolicy.current_version).where(SlaPolicy.id == policy.id).with_for_update()
        )
        latest = db.session.scalar(
            select(func.max(SlaPolicyVersion.number)).where(SlaPolicyVersion.policy_id == policy.id)
        )
        number = max(number or 0, latest or 0) + 1
        db.session.add(
            SlaPolicyVersion(policy_id=policy.id, number=number, created_by=actor, **checked.rules)
        )
        policy.current_version = number
    policy.name, policy.active, policy.is_default = (
        checked.name,
        checked.active,
        checked.is_default,
    )
    if checked.is_default:
        _unmark_default(policy)
    db.session.flush()
    return changed


def rule_names() -> dict[str, dict[Any, str]]:
    """The names of what rules can name (types, areas, priorities, channels), read once."""
    return {
        "type_ids": dict(
            db.session.execute(
                select(TicketType.id, TicketType.name).order_by(TicketType.name)
            ).all()
        ),
        "area_ids": dict(db.session.execute(select(Area.id, Area.name).order_by(Area.name)).all()),
        "priorities": {p.value: str(p.label) for p in Priority},
        "channels": {c.value: str(c.label) for c in Channel},
    }


def policies() -> list[tuple[SlaPolicy, SlaPolicyVersion]]:
    """Every policy with its current version, in the order rules are tried (inactive too)."""
    rows = db.session.execute(
        select(SlaPolicy, SlaPolicyVersion)
        .join(
            SlaPolicyVersion,
            (SlaPolicyVersion.policy_id == SlaPolicy.id)
            & (SlaPolicyVersion.number == SlaPolicy.current_version),
        )
        .order_by(SlaPolicy.is_default, SlaPolicy.position, SlaPolicy.id)
    )
    return [(policy, version) for policy, version in rows]


def history(policy: SlaPolicy) -> list[tuple[SlaPolicyVersion, int]]:
    """A policy's versions, newest first, each with how many open tickets hold it.

    Open tickets only: they are what a recompute would move, and they are read through the
    status index rather than the whole history.
    """
    versions = list(
        db.session.scalars(
            select(SlaPolicyVersion)
            .where(SlaPolicyVersion.policy_id == policy.id)
            .options(selectinload(SlaPolicyVersion.created_by))
            .order_by(SlaPolicyVersion.number.desc())
        )
    )
    held = dict(
        db.session.execute(
            select(Ticket.sla_version_id, func.count())
            .where(
                Ticket.status.in_(ACTIVE_STATUSES),
                Ticket.sla_version_id.in_([v.id for v in versions]),
            )
            .group_by(Ticket.sla_version_id)
        ).all()
    )
    return [(version, int(held.get(version.id, 0))) for version in versions]


def move_policy(policy: SlaPolicy, step: int) -> None:
    """Move a policy up (-1) or down (+1) in the order rules are tried; positions renumbered."""
    ordered = list(
        db.session.scalars(
            select(SlaPolicy).order_by(SlaPolicy.is_default, SlaPolicy.position, SlaPolicy.id)
        )
    )
    at = ordered.index(policy)
    other = at + step
    if 0 <= other < len(ordered):
        ordered[at], ordered[other] = ordered[other], ordered[at]
    for position, row in enumerate(ordered, 1):
        row.position = position
    db.session.flush()


# ---------------------------------------------------------------- recomputing open tickets


@dataclass(frozen=True)
class Recompute:
    """What recomputing the open tickets does: how many change policy or targets."""

    open_tickets: int
    changing: int


_TICKETS = cast(Table, Ticket.__table__)
_EVENTS = cast(Table, TicketEvent.__table__)
# What a policy choice reads of a ticket.
_RULE_COLUMNS = (Ticket.ticket_type_id, Ticket.priority, Ticket.area_id, Ticket.channel)


class _Probe:
    """The columns rules read, as attributes (what service.matches expects of a ticket)."""

    __slots__ = ("ticket_type_id", "priority", "area_id", "channel")

    def __init__(self, ticket_type_id: int, priority: str, area_id: int | None, channel: str):
        self.ticket_type_id, self.priority = ticket_type_id, priority
        self.area_id, self.channel = area_id, channel


def _chooser(
    current: list[tuple[SlaPolicy, SlaPolicyVersion]],
) -> Any:
    """A function from rule columns to the version id they get now (None: no policy)."""

    def choose(ticket_type_id: int, priority: str, area_id: int | None, channel: str) -> int | None:
        probe = _Probe(ticket_type_id, priority, area_id, channel)
        for policy, version in current:
            if policy.is_default or matches(version, probe):  # type: ignore[arg-type]
                return version.id
        return None

    return choose


def recompute_preview() -> Recompute:
    """Count the open tickets whose policy version would change, in one grouped query.

    The open tickets fall into few groups of (type, priority, area, channel, version held),
    so the rules run once per group, not once per ticket.
    """
    choose = _chooser(current_policies())
    rows = db.session.execute(
        select(*_RULE_COLUMNS, Ticket.sla_version_id, func.count())
        .where(Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(*_RULE_COLUMNS, Ticket.sla_version_id)
    )
    total = changing = 0
    for type_id, priority, area_id, channel, held, count in rows:
        total += count
        if choose(type_id, priority, area_id, channel) != held:
            changing += count
    return Recompute(total, changing)


class _Calendars:
    """Every calendar as business time, read once; an area's is its own, else the default's."""

    def __init__(self) -> None:
        rows = list(db.session.scalars(select(SlaCalendar)))
        self.by_id = {row.id: to_calendar(row) for row in rows}
        default = next((row for row in rows if row.is_default), None)
        self.default = to_calendar(default) if default else Calendar.always(organisation_zone())
        self.areas = dict(
            db.session.execute(
                select(Area.id, Area.calendar_id).where(Area.calendar_id.is_not(None))
            ).all()
        )

    def of(self, area_id: int | None) -> Calendar:
        """The calendar an area's tickets count on."""
        own = self.areas.get(area_id) if area_id is not None else None
        return self.by_id.get(own, self.default) if own is not None else self.default


def _open_batch(after: int, until: int | None) -> list[Any]:
    """The next open tickets after id `after` (up to `until`), in id order, with the columns
    the clocks need.

    Plain rows, not ORM objects (no JSON fields loaded, nothing for the session to track);
    the rows are locked on PostgreSQL until the batch commits.
    """
    sla_columns = [column for name, column in _TICKETS.c.items() if name.startswith("sla_")]
    query = (
        select(
            _TICKETS.c.id,
            _TICKETS.c.ticket_type_id,
            _TICKETS.c.priority,
            _TICKETS.c.area_id,
            _TICKETS.c.channel,
            _TICKETS.c.status,
            _TICKETS.c.created_at,
            _TICKETS.c.first_response_at,
            *sla_columns,
        )
        .where(_TICKETS.c.status.in_(ACTIVE_STATUSES), _TICKETS.c.id > after)
        .order_by(_TICKETS.c.id)
        .limit(BATCH)
        .with_for_update()
    )
    if until is not None:
        query = query.where(_TICKETS.c.id <= until)
    return list(db.session.execute(query))


def _replanned(ticket: Any, subject: clock.Ticket, now: datetime, had_clocks: bool) -> clock.Clocks:
    """The ticket's clocks under new targets: the starts, pauses and met clocks stay.

    A ticket that had no clocks is targeted from its filing, its first response met when the
    desk already answered, paused when it waits on the client.
    """
    if had_clocks:
        return clock.plan(clock.Clocks.of(ticket), subject, now)
    clocks = clock.start(subject, now)
    if ticket.first_response_at is not None:
        clocks = clock.respond(clocks, subject, min(ticket.first_response_at, now))
    if ticket.status == Status.WAITING:
        clocks = clock.pause(clocks, subject, now)
    return clocks


@dataclass(frozen=True)
class RecomputePlan:
    """What a recompute reads once: the policies its rules choose from now, their targets
    and names, and the calendars (plain values, valid across the run's transactions)."""

    choose: Callable[[int, str, int | None, str], int | None]
    names: dict[int, str]  # version id -> its policy's name, for the events
    targets: dict[int, clock.Targets]
    calendars: _Calendars


def recompute_plan() -> RecomputePlan:
    """Read the current policies and the calendars for a recompute."""
    current = current_policies()
    return RecomputePlan(
        choose=_chooser(current),
        names={version.id: policy.name for policy, version in current},
        targets={version.id: targets_of(version) for _p, version in current},
        calendars=_Calendars(),
    )


def recompute_scope() -> tuple[int, int]:
    """The newest ticket id now, and how many open tickets there are up to it."""
    until = db.session.scalar(select(func.max(Ticket.id))) or 0
    total = db.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.status.in_(ACTIVE_STATUSES), Ticket.id <= until)
    )
    return until, int(total or 0)


def recompute_batch(run: SlaRecompute, plan: RecomputePlan, now: datetime) -> int:
    """Give the next batch of open tickets after the run's cursor the policy its rules choose
    now; re-plan those that change, and move the cursor and the counts. Flushes.

    Each changed ticket gets one "retargeted" event with the reason "recompute". A batch is
    one SELECT of plain rows, one UPDATE executemany and one INSERT; the clocks are computed
    in Python, the only per-ticket work. A ticket whose calendar has no working time keeps
    its clocks. Returns how many tickets were looked at: 0 when none is left.
    """
    batch = _open_batch(run.cursor_id, run.until_id)
    if not batch:
        return 0
    actor_id = run.requested_by_id
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for ticket in batch:
        chosen = plan.choose(ticket.ticket_type_id, ticket.priority, ticket.area_id, ticket.channel)
        if chosen == ticket.sla_version_id:
            continue
        if chosen is None:
            columns = clock.Clocks().columns()
        else:
            subject = clock.Ticket(
                ticket.created_at, plan.calendars.of(ticket.area_id), plan.targets[chosen]
            )
            had = ticket.sla_version_id is not None and ticket.sla_phase != SlaPhase.NONE
            try:
                columns = _replanned(ticket, subject, now, had).columns()
            except NoBusinessTime:
                continue
        updates.append({"b_id": ticket.id, "sla_version_id": chosen, **columns})
        policy = plan.names[chosen] if chosen is not None else None
        events.append(_retargeted(ticket.id, actor_id, policy, columns, now))
    if updates:
        # Core, not the ORM: the clocks are not an edit of the ticket, so its version
        # (the optimistic lock of the desk's forms) stays, as for the other clock moves.
        db.session.execute(
            update(_TICKETS).where(_TICKETS.c.id == bindparam("b_id")),
            updates,
        )
        db.session.execute(insert(_EVENTS), events)
    run.cursor_id = batch[-1].id
    run.done_tickets += len(batch)
    run.changed_tickets += len(updates)
    db.session.flush()
    return len(batch)


def backfill(tickets: Iterable[Ticket], now: datetime | None = None) -> int:
    """Give tickets written outside the workflow (the demo's history) the clocks it implies.

    Each gets the policy its rules choose, started at its filing, its first response met at
    ``first_response_at``, its resolution at ``resolved_at`` (or paused since its last
    change while it waits on the client); warnings already due are marked sent, as the
    escalation job would have done, so nothing old is mailed. Returns how many got clocks.
    """
    now = now or utcnow()
    current = current_policies()
    choose = _chooser(current)
    targets = {version.id: targets_of(version) for _p, version in current}
    calendars, given = _Calendars(), 0
    for ticket in tickets:
        chosen = choose(ticket.ticket_type_id, ticket.priority, ticket.area_id, ticket.channel)
        if chosen is None:
            continue
        subject = clock.Ticket(ticket.created_at, calendars.of(ticket.area_id), targets[chosen])
        try:
            clocks = clock.start(subject, ticket.created_at)
            if ticket.first_response_at is not None:
                clocks = clock.respond(clocks, subject, ticket.first_response_at)
            done = ticket.resolved_at or ticket.closed_at
            if ticket.status in (Status.RESOLVED, Status.CLOSED) and done is not None:
                clocks = clock.resolve(clocks, subject, done)
            elif ticket.status == Status.WAITING:
                clocks = clock.pause(clocks, subject, ticket.updated_at or now)
            clocks, _sent = clock.notify(clocks, subject, now)
        except NoBusinessTime:
            continue
        ticket.sla_version_id = chosen
        for key, value in clocks.columns().items():
            setattr(ticket, key, value)
        given += 1
    db.session.flush()
    return given


def _retargeted(
    ticket_id: int,
    actor_id: int | None,
    policy: str | None,
    columns: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The "retargeted" event of a recomputed ticket, as a row (policy: the new one's name)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "ticket_id": ticket_id,
        "actor_id": actor_id,
        "kind": EventKind.SLA.value,
        "internal": True,
        "data": {
            "change": "retargeted",
            "reason": "recompute",
            "policy": policy,
            "response_due": iso(columns["sla_response_due"]),
            "resolution_due": iso(columns["sla_resolution_due"]),
        },
        "created_at": now,
    }
