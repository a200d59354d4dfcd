"""Ticket lists by keyset pages: the query code the Tablero, the API and the reports share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import Select, func, select, tuple_

from forms_engine import Field

from ..catalog.versions import compiled, current_version
from ..extensions import db
from ..models import (
    PRIORITIES,
    Area,
    Channel,
    Role,
    SlaPolicy,
    SlaPolicyVersion,
    SlaState,
    Status,
    Ticket,
    TicketType,
    User,
    utcnow,
)
from ..sla import listing as sla_listing
from .filters import (
    PAGE_SIZE,
    VIEWS,
    Filters,
    apply_order,
    conditions,
    dated_only,
    for_reader,
    order,
    view_condition,
)
from .visibility import visible_tickets


class Row(NamedTuple):
    """One ticket line of the Tablero, with the names it shows already resolved."""

    id: int
    number: int
    subject: str
    status: str
    priority: str
    updated_at: Any
    type_name: str
    requester_name: str
    area_name: str | None
    assignee_name: str | None
    channel: str
    created_at: Any
    ticket_type_id: int
    requester_id: int
    area_id: int | None
    assignee_id: int | None
    sla_version_id: int | None
    sla_response_due: Any
    sla_resolution_due: Any
    sla_next_due: Any
    sla_paused_at: Any
    sla_state: SlaState
    # Filed by e-mail without every required field: a collaborator completes it.
    incomplete: bool = False


@dataclass
class Page:
    """One page of tickets and the cursors around it."""

    tickets: list[Row]
    first_id: int | None
    last_id: int | None
    has_prev: bool
    has_next: bool


# Only what a line shows: no JSON data, no description, no ORM objects to build per row.
ROW_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.status,
    Ticket.priority,
    Ticket.updated_at,
    Ticket.ticket_type_id,
    Ticket.requester_id,
    Ticket.area_id,
    Ticket.assignee_id,
    Ticket.channel,
    Ticket.created_at,
    Ticket.sla_version_id,
    Ticket.sla_phase,
    Ticket.sla_response_due,
    Ticket.sla_resolution_due,
    Ticket.sla_next_due,
    Ticket.sla_warn_at,
    Ticket.sla_paused_at,
    Ticket.incomplete,
)


def filterable_fields(ticket_type: TicketType | None) -> dict[str, Field]:
    """Top-level custom fields of the type's current form that can be filtered."""
    if ticket_type is None:
        return {}
    version = current_version(ticket_type)
    if version is None:
        return {}
    return {
        f.name: f
        for f in compiled(version).describe()
        if f.path.count("/") == 1 and f.type in ("string", "integer", "number", "boolean")
    }


def _cursor_condition(f: Filters, cursor: int, forward: bool) -> Any:
    """Rows after (or before) the row with this id in the current order."""
    column, descending = order(f)
    anchor = select(column).where(Ticket.id == cursor).scalar_subquery()
    after = forward != descending  # ascending order going forward means "greater than"
    pair, mark = tuple_(column, Ticket.id), tuple_(anchor, cursor)
    return pair > mark if after else pair < mark


def fetch_page(base: Any, f: Filters, names: Names, size: int = PAGE_SIZE) -> Page:
    """Load one page by keyset: first, after a row, before a row, or the last page.

    The page query touches the tickets table alone, so the planner picks its plan from the
    filters and the order; the names come from the filter lists and one lookup of requesters.
    """
    query = base.with_only_columns(*ROW_COLUMNS)
    backwards = f.last or bool(f.before)
    cursor = f.before or f.after
    if f.sort == "due":
        start = int(cursor) if cursor else None
        found = _due_rows(query, start, backwards, size + 1, dated_only(f))
    else:
        if cursor:  # parse() let through only ids
            query = query.where(_cursor_condition(f, int(cursor), forward=not f.before))
        flipped = Filters(**{**f.__dict__, "last": backwards})
        found = list(db.session.execute(apply_order(query, flipped).limit(size + 1)).all())
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    rows = names.resolve(found, f.at())
    return Page(
        tickets=rows,
        first_id=rows[0].id if rows else None,
        last_id=rows[-1].id if rows else None,
        has_prev=more if backwards else bool(f.after),
        has_next=(bool(f.before) and not f.last) if backwards else more,
    )


def _due_rows(
    query: Any, cursor: int | None, backwards: bool, wanted: int, dated_only: bool
) -> list[Any]:
    """Up to ``wanted`` rows by next due, tickets without one last, from a cursor on.

    Two keyset segments read in turn, each an index range in its own order: the dated
    tickets by (due, id), then the undated by id (backwards: the other way round). One
    ordered query with NULLS LAST cannot use a keyset past the dated tickets, and SQLite
    sorts NULLs first. With ``dated_only`` (the filters exclude undated tickets) the second
    is not read: SQLite would walk every NULL of the index to find none.
    """
    due = Ticket.sla_next_due
    dated = undated = True
    anchor: Any = None
    if cursor is not None:
        found = db.session.execute(select(due).where(Ticket.id == cursor)).first()
        if found is None:
            return []
        anchor = found[0]
        # Past a dated cursor the undated follow whole; before an undated one, the dated.
        dated = anchor is not None or backwards
        undated = anchor is None or not backwards
    segments = []
    if dated:
        part = query.where(due.is_not(None))
        if anchor is not None:
            pair, mark = tuple_(due, Ticket.id), tuple_(anchor, cursor)
            part = part.where(pair < mark if backwards else pair > mark)
        keys = (due.desc(), Ticket.id.desc()) if backwards else (due.asc(), Ticket.id.asc())
        segments.append(part.order_by(*keys))
    if undated and not dated_only:
        part = query.where(due.is_(None))
        if cursor is not None and anchor is None:
            part = part.where(Ticket.id < cursor if backwards else Ticket.id > cursor)
        segments.append(part.order_by(Ticket.id.desc() if backwards else Ticket.id.asc()))
    if backwards:
        segments.reverse()
    rows: list[Any] = []
    for segment in segments:
        rows += db.session.execute(segment.limit(wanted - len(rows))).all()
        if len(rows) >= wanted:
            break
    return rows


@dataclass
class Names:
    """Names of types, areas and staff (the filter lists), to label ticket lines."""

    types: dict[int, str]
    areas: dict[int, str]
    staff: dict[int, str]

    def resolve(self, found: list[Any], now: datetime | None = None) -> list[Row]:
        """Turn ticket tuples into lines; requesters are looked up in one query.

        The service-level state of each line is read from its columns at ``now``.
        """
        now = now or utcnow()
        people = dict(self.staff)
        missing = {r.requester_id for r in found} | {r.assignee_id for r in found}
        missing -= people.keys() | {None}
        if missing:
            people.update(
                db.session.execute(select(User.id, User.name).where(User.id.in_(missing))).all()
            )
        return [
            Row(
                r.id,
                r.number,
                r.subject,
                r.status,
                r.priority,
                r.updated_at,
                self.types.get(r.ticket_type_id, ""),
                people.get(r.requester_id, ""),
                self.areas.get(r.area_id) if r.area_id else None,
                people.get(r.assignee_id) if r.assignee_id else None,
                r.channel,
                r.created_at,
                r.ticket_type_id,
                r.requester_id,
                r.area_id,
                r.assignee_id,
                r.sla_version_id,
                r.sla_response_due,
                r.sla_resolution_due,
                r.sla_next_due,
                r.sla_paused_at,
                sla_listing.row_state(r, now),
                bool(r.incomplete),
            )
            for r in found
        ]


def policy_names(rows: list[Row]) -> dict[int, str]:
    """The policy name of each version on a page of lines, in one query."""
    ids = {r.sla_version_id for r in rows if r.sla_version_id is not None}
    if not ids:
        return {}
    found = db.session.execute(
        select(SlaPolicyVersion.id, SlaPolicy.name)
        .join(SlaPolicy, SlaPolicy.id == SlaPolicyVersion.policy_id)
        .where(SlaPolicyVersion.id.in_(ids))
    ).all()
    return {version_id: name for version_id, name in found}


def view_counts(user: User) -> dict[str, int]:
    """Count the tickets in each named view, in one statement, up to COUNT_CAP each.

    Counting stops at the cap (the page shows "10000+"): an exact count of a whole
    history costs a scan of every ticket on each page load, and nobody reads that number.
    """
    cap = current_app.config["DASHBOARD_COUNT_CAP"]
    now = utcnow()
    columns = []
    for view in VIEWS:
        condition = view_condition(view, user, now)
        rows = visible_tickets(user).with_only_columns(Ticket.id)
        if condition is not None:
            rows = rows.where(condition)
        capped = rows.limit(cap + 1).subquery()
        columns.append(select(func.count()).select_from(capped).scalar_subquery().label(view))
    found = db.session.execute(select(*columns)).one()
    return dict(zip(VIEWS, found, strict=True))


@dataclass
class Listing:
    """One page of a filtered list, with what the filter form shows."""

    page: Page
    ticket_type: TicketType | None
    fields: dict[str, Field]
    choices: dict[str, Any]


def latest_first(query: Select[Ticket], after: int | None, size: int) -> tuple[list[Ticket], bool]:
    """A page of tickets by last activity, after the ticket ``after`` (keyset); is there more."""
    if after is not None:
        # Read through the same query: a cursor names only a ticket this reader may see.
        seen = db.session.scalar(
            query.with_only_columns(Ticket.updated_at).where(Ticket.id == after)
        )
        if seen is not None:
            query = query.where(tuple_(Ticket.updated_at, Ticket.id) < tuple_(seen, after))
    ordered = query.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(size + 1)
    found = list(db.session.scalars(ordered))
    return found[:size], len(found) > size


def filtered(f: Filters, user: User) -> tuple[Select[Ticket], TicketType | None, dict[str, Field]]:
    """The tickets a user may see under these filters, with the chosen type and its fields."""
    f = for_reader(f, user)
    ticket_type = (
        db.session.scalar(select(TicketType).where(TicketType.key == f.type_key))
        if f.type_key
        else None
    )
    fields = filterable_fields(ticket_type)
    base = visible_tickets(user).where(
        *conditions(f, user, ticket_type.id if ticket_type else None, fields)
    )
    return base, ticket_type, fields


def listing(f: Filters, user: User, size: int = PAGE_SIZE) -> Listing:
    """Find one page of the tickets a user may see under these filters (Tablero and API)."""
    f = for_reader(f, user)
    choices = _choices()
    base, ticket_type, fields = filtered(f, user)
    names = Names(
        types={t.id: t.name for t in choices["types"]},
        areas={a.id: a.name for a in choices["areas"]},
        staff={u.id: u.name for u in choices["staff"]},
    )
    return Listing(fetch_page(base, f, names, size), ticket_type, fields, choices)


def _choices() -> dict[str, Any]:
    """Lists for the filter form: types, areas, collaborators, statuses, priorities."""
    return {
        "types": db.session.execute(
            select(TicketType.id, TicketType.key, TicketType.name).order_by(TicketType.name)
        ).all(),
        "areas": db.session.execute(select(Area.id, Area.name).order_by(Area.name)).all(),
        "staff": db.session.execute(
            select(User.id, User.name)
            .where(User.role.in_([Role.ADMIN, Role.COLLABORATOR]))
            .order_by(User.name)
        ).all(),
        "statuses": [s.value for s in Status],
        "priorities": PRIORITIES,
        "channels": [c.value for c in Channel],
    }
