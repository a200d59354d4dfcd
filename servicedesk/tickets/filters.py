"""The Tablero's filters: parsed from the URL through allow-lists, turned into one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, cast, false, func, select
from sqlalchemy.dialects.postgresql import JSONB
from werkzeug.datastructures import MultiDict

from forms_engine import Field, date_pattern, date_text, read_date

from ..errors import BadInput
from ..extensions import db
from ..models import (
    ACTIVE_STATUSES,
    PRIORITIES,
    Channel,
    Feedback,
    Priority,
    Status,
    Ticket,
    User,
    area_members,
    utcnow,
)
from ..numbers import row_id
from ..sla import listing as sla_listing
from ..zones import day_end, day_start, zone_of
from . import search

VIEWS = ("activos", "mios", "sin_asignar", "mi_area", "vencidos", "en_riesgo", "historial")
# Views, filters and sorts on service levels: the desk's only (clients never see targets).
SLA_VIEWS = ("vencidos", "en_riesgo")
SORTS = {
    "number": Ticket.number,
    "created": Ticket.created_at,
    "updated": Ticket.updated_at,
    "priority": None,
    # Next due first, tickets without a counting clock last (listing.fetch_page pages it).
    "due": Ticket.sla_next_due,
}
PRIORITY_RANK = case({p.value: p.rank for p in Priority}, value=Ticket.priority)
MAX_TEXT = 200
PAGE_SIZE = 50


class FilterError(BadInput):
    """A filter value cannot be understood (the message says which and why)."""


@dataclass
class Filters:
    """Every dashboard filter, already checked."""

    view: str = "activos"
    statuses: list[str] = field(default_factory=list)
    type_key: str = ""
    area_id: int | None = None
    priorities: list[str] = field(default_factory=list)
    assignee: int | str | None = None  # an id, or "none"
    requester_id: int | None = None
    channel: str = ""
    created_from: date | None = None
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    overdue: bool = False
    rating: int | None = None
    sla_states: list[str] = field(default_factory=list)
    q: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    sort: str = "-updated"
    after: str = ""
    before: str = ""
    last: bool = False
    typed: dict[str, str] = field(default_factory=dict)  # the date filters as typed
    locale: str | None = None  # the language dates may be written in (None: ISO only)
    now: datetime | None = None  # the instant service-level states are read at (one per page)

    def at(self) -> datetime:
        """The instant of this list's service-level states, fixed at its first use."""
        if self.now is None:
            self.now = utcnow()
        return self.now

    def shown(self, name: str, locale: str) -> str:
        """A date filter as its input shows it: the page's pattern, or what was typed."""
        day = getattr(self, name, None) if name in DATE_FILTERS else None
        return date_text(day, locale) if day is not None else self.typed.get(name, "")


def _id(raw: str, name: str) -> int:
    """Parse a positive database id."""
    value = row_id(raw)
    if value is None:
        raise FilterError(_l("%(name)s is not a valid choice.", name=name))
    return value


def _cursor(raw: str, name: str) -> str:
    """Check a page cursor (the id of a ticket on the page next to it)."""
    if raw and row_id(raw) is None:
        raise FilterError(_l("%(name)s is not a valid page.", name=name))
    return raw


# Dates a desk can mean. Outside them the day's bounds (a day before, a day after, the
# local midnight in UTC) overflow what a datetime holds: 0001-01-01 and 9999-12-31 were 500s.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


# The date filters of the Tablero and the reports, with the label their inputs show.
DATE_FILTERS = {
    "created_from": _l("Created from"),
    "created_to": _l("Created until"),
    "updated_from": _l("Updated from"),
    "updated_to": _l("Updated until"),
}


def _date(raw: str, name: str, locale: str | None = None) -> date | None:
    """Parse a date within FIRST_DAY..LAST_DAY: ISO (links, the API), or with ``locale``
    as that language writes it (19/12/2026 in Spanish, 12/19/2026 in English)."""
    if not raw:
        return None
    day = read_date(raw, locale)
    if day is None:
        label = DATE_FILTERS.get(name, name)
        if locale is None:
            raise FilterError(_l("%(name)s must be a date like 2026-01-31.", name=label))
        raise FilterError(
            _l(
                "%(name)s: write the date as %(pattern)s, for example %(example)s.",
                name=label,
                pattern=date_pattern(locale),
                example=date_text(date(2026, 12, 19), locale),
            )
        )
    if not FIRST_DAY <= day <= LAST_DAY:
        raise FilterError(
            _l(
                "%(name)s must be a date between %(first)s and %(last)s.",
                name=DATE_FILTERS.get(name, name),
                first=date_text(FIRST_DAY, locale) if locale else FIRST_DAY.isoformat(),
                last=date_text(LAST_DAY, locale) if locale else LAST_DAY.isoformat(),
            )
        )
    return day


def _one(args: MultiDict[str, str], name: str) -> str:
    """Return a single short value; arrays and long values are refused."""
    if f"{name}[]" in args:
        raise FilterError(_l("%(name)s takes a single value.", name=name))
    value = args.get(name, "").strip()
    if len(value) > MAX_TEXT:
        raise FilterError(_l("%(name)s is too long.", name=name))
    return value


def parse(
    args: MultiDict[str, str],
    locale: str | None = None,
    problems: dict[str, str] | None = None,
) -> Filters:
    """Build Filters from query arguments, refusing anything outside the allow-lists.

    With ``locale`` (a page), dates may also be written as the language writes them. With
    ``problems`` (a page that shows its form again), a date it cannot read is noted there
    by its name, kept as typed in ``Filters.typed`` and left out, instead of refusing all.
    """
    if any(key.endswith("[]") for key in args):
        raise FilterError(_l("Filters take plain values."))
    f = Filters(locale=locale)
    view = _one(args, "view") or "activos"
    f.view = view if view in VIEWS else "activos"
    f.statuses = [s for s in args.getlist("status") if s in {x.value for x in Status}]
    f.priorities = [p for p in args.getlist("priority") if p in PRIORITIES]
    f.sla_states = [s for s in args.getlist("sla_state") if s in sla_listing.STATES]
    f.type_key = _one(args, "type")
    f.channel = c if (c := _one(args, "channel")) in {x.value for x in Channel} else ""
    _people_and_places(args, f)
    for name in DATE_FILTERS:
        raw = _one(args, name)
        f.typed[name] = raw
        try:
            setattr(f, name, _date(raw, name, locale))
        except FilterError as exc:
            if problems is None:
                raise
            problems[name] = str(exc)
    f.overdue = _one(args, "overdue") == "1"
    rating = _one(args, "rating")
    f.rating = int(rating) if rating in {"1", "2", "3", "4", "5"} else None
    f.q = _one(args, "q")
    f.custom = {k[3:]: v[:MAX_TEXT] for k, v in args.items() if k.startswith("cf.") and v}
    sort = _one(args, "sort") or "-updated"
    f.sort = sort if sort.lstrip("-") in SORTS and sort != "-due" else "-updated"
    f.after, f.before = (_cursor(_one(args, key), key) for key in ("after", "before"))
    f.last = _one(args, "last") == "1"
    return f


def iso_query(args: MultiDict[str, str], f: Filters) -> str:
    """The query string of these filters with their dates written ISO.

    A page's form sends dates as its language writes them (created_from=19/12/2026); the
    links it hands on (exports, reports, saved views) carry ISO, which reads the same in
    every language and in background jobs.
    """
    pairs = []
    for key, value in args.items(multi=True):
        day = getattr(f, key) if key in DATE_FILTERS else None
        if key in DATE_FILTERS and day is None:
            continue  # empty, or a date that could not be read: left out
        if key.startswith("cf.") and key.endswith((".min", ".max")) and "/" in value:
            # a custom date range as the page wrote it (numbers, the other ranges, have no /)
            day = read_date(value, f.locale)
        pairs.append((key, day.isoformat() if day is not None else value))
    return urlencode(pairs)


def _people_and_places(args: MultiDict[str, str], f: Filters) -> None:
    """Parse the area, assignee and requester filters."""
    if area := _one(args, "area"):
        f.area_id = _id(area, "area")
    if assignee := _one(args, "assignee"):
        f.assignee = "none" if assignee == "none" else _id(assignee, "assignee")
    if requester := _one(args, "requester"):
        f.requester_id = _id(requester, "requester")


def for_reader(f: Filters, user: User) -> Filters:
    """The filters a reader may use: service levels are the desk's, so clients lose them."""
    if user.is_staff:
        return f
    view = "historial" if f.view in SLA_VIEWS else f.view
    sort = "-updated" if f.sort == "due" else f.sort
    return Filters(**{**f.__dict__, "view": view, "sort": sort, "sla_states": []})


def dated_only(f: Filters) -> bool:
    """Whether these filters keep only tickets with a counting clock (a next due)."""
    counting = {"on_time", "at_risk"}
    return f.view in SLA_VIEWS or bool(f.sla_states) and set(f.sla_states) <= counting


def view_condition(view: str, user: User, now: datetime | None = None) -> Any:
    """The condition that defines one of the named views (``now``: for the SLA views)."""
    active = Ticket.status.in_(ACTIVE_STATUSES)
    if view == "vencidos":
        return sla_listing.overdue(now or utcnow())
    if view == "en_riesgo":
        return sla_listing.at_risk(now or utcnow())
    if view == "mios":
        return and_(Ticket.assignee_id == user.id, active)
    if view == "sin_asignar":
        return and_(Ticket.assignee_id.is_(None), active)
    if view == "mi_area":
        # A subquery, not the user's loaded areas: no extra statement per page.
        mine = select(area_members.c.area_id).where(area_members.c.user_id == user.id)
        return and_(Ticket.area_id.in_(mine), active)
    if view == "historial":
        return None
    return active


def _day_range(column: Any, start: date | None, end: date | None, zone: str) -> list[Any]:
    """Conditions for a range of whole days, as the reader's zone counts them.

    2026-12-01 for a reader in Mexico City starts at 06:00 UTC: a ticket filed at 03:00 UTC
    that day was filed on the evening of 30 November there.
    """
    conditions = []
    if start:
        conditions.append(column >= day_start(start, zone))
    if end:
        conditions.append(column < day_end(end, zone))
    return conditions


def conditions(f: Filters, user: User, type_id: int | None, fields: dict[str, Field]) -> list[Any]:  # noqa: C901 - a condition per filter
    """Turn filters into SQL conditions (the view, then each filter)."""
    result = [c for c in [view_condition(f.view, user, f.at())] if c is not None]
    if f.statuses:
        result.append(Ticket.status.in_(f.statuses))
    if f.priorities:
        result.append(Ticket.priority.in_(f.priorities))
    if type_id is not None:
        result.append(Ticket.ticket_type_id == type_id)
    elif f.type_key:
        result.append(false())  # an unknown type matches nothing
    if f.area_id is not None:
        result.append(Ticket.area_id == f.area_id)
    if f.assignee == "none":
        result.append(Ticket.assignee_id.is_(None))
    elif f.assignee is not None:
        result.append(Ticket.assignee_id == f.assignee)
    if f.requester_id is not None:
        result.append(Ticket.requester_id == f.requester_id)
    if f.channel:
        result.append(Ticket.channel == f.channel)
    if f.created_from or f.created_to or f.updated_from or f.updated_to:
        zone = zone_of(user)  # read only when a date filter needs it
        result += _day_range(Ticket.created_at, f.created_from, f.created_to, zone)
        result += _day_range(Ticket.updated_at, f.updated_from, f.updated_to, zone)
    if f.overdue:
        result.append(Ticket.status == Status.WAITING)
    if f.rating is not None:
        result.append(Ticket.id.in_(select(Feedback.ticket_id).where(Feedback.rating == f.rating)))
    if f.sla_states:
        result.append(sla_listing.any_of(f.sla_states, f.at()))
    if f.q and (found := search.match(f.q)) is not None:
        result.append(found)
    result += custom_conditions(f.custom, fields, f.locale)
    return result


def custom_conditions(
    custom: dict[str, str], fields: dict[str, Field], locale: str | None = None
) -> list[Any]:
    """Typed conditions on custom fields of the chosen type (unknown names are ignored)."""
    result = []
    for key, raw in custom.items():
        name, _dot, bound = key.partition(".")
        described = fields.get(name)
        if described is None or bound not in ("", "min", "max"):
            continue
        result.append(_custom_condition(described, Ticket.data[name], raw, bound, locale))
    return result


def _equals(name: str, value: Any, column: Any) -> Any:
    """Custom field equals a value: JSONB containment (GIN-indexed) on PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        return Ticket.data.op("@>")(cast({name: value}, JSONB))
    if isinstance(value, bool):
        return column.as_boolean() == value
    if isinstance(value, float):
        return column.as_float() == value
    return column.as_string() == value


def _custom_condition(
    described: Field, column: Any, raw: str, bound: str, locale: str | None
) -> Any:
    """One custom-field condition: equality, range or contains, by the field's type."""
    if described.type == "boolean":
        return _equals(described.name, raw == "true", column)
    if described.type in ("integer", "number"):
        try:
            number = float(raw)
        except ValueError as exc:
            raise FilterError(_l("%(name)s must be a number.", name=described.name)) from exc
        if abs(number) > 1e15:
            raise FilterError(_l("%(name)s is out of range.", name=described.name))
        if not bound:
            whole = int(number) if number.is_integer() and described.type == "integer" else number
            return _equals(described.name, whole, column)
        value = column.as_float()
        return value >= number if bound == "min" else value <= number
    if described.format == "date" or bound:
        day = _date(raw, described.name, locale)
        if day is None:  # custom filters with an empty value never get here
            raise FilterError(_l("%(name)s must be a date like 2026-01-31.", name=described.name))
        value = column.as_string()
        return (
            value >= day.isoformat()
            if bound == "min"
            else value <= day.isoformat()
            if bound == "max"
            else value == day.isoformat()
        )
    if described.options:
        return _equals(described.name, raw, column)
    escaped = raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.as_string().ilike(f"%{escaped}%", escape="\\")


def order(f: Filters) -> tuple[Any, bool]:
    """Return the sort expression and whether it is descending."""
    name = f.sort.lstrip("-")
    column: Any = PRIORITY_RANK if name == "priority" else SORTS[name]
    if (f.created_from or f.created_to) and name != "created":
        # Creation and update dates move together, so a planner that walks the update index
        # looking for an old creation range reads most of the table (82,000 rows at 100k on
        # PostgreSQL). Wrapping the sort key hides that index: the range index finds the few
        # rows and they are sorted, the same expression serving the keyset cursor.
        column = func.coalesce(column, column)
    return column, f.sort.startswith("-")


def apply_order(query: Select[Any], f: Filters) -> Select[Any]:
    """Order by the chosen column and id, reversed for the last page."""
    column, descending = order(f)
    if f.last:
        descending = not descending
    if descending:
        return query.order_by(column.desc(), Ticket.id.desc())
    return query.order_by(column.asc(), Ticket.id.asc())
