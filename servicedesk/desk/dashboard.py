"""The Tablero: named views with counts, combinable filters, search, keyset pages, saved views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, tuple_
from werkzeug.wrappers import Response

from forms_engine import Field

from ..auth.decorators import admin_required, staff_required
from ..catalog.versions import compiled, current_version
from ..extensions import db
from ..models import (
    ACTIVE_STATUSES,
    PRIORITIES,
    Area,
    Channel,
    Role,
    SavedView,
    Status,
    Ticket,
    TicketType,
    User,
)
from ..tickets.loading import owned_or_404
from ..tickets.visibility import visible_tickets
from ..unit_of_work import commit
from . import bp
from .filters import PAGE_SIZE, VIEWS, Filters, apply_order, conditions, order, parse


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


@dataclass
class Page:
    """One page of tickets and the cursors around it."""

    tickets: list[Row]
    first_id: int | None
    last_id: int | None
    has_prev: bool
    has_next: bool


# Only what a line shows: no JSON data, no description, no ORM objects to build per row.
ROW_COLUMNS = (Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.priority,
               Ticket.updated_at, Ticket.ticket_type_id, Ticket.requester_id, Ticket.area_id,
               Ticket.assignee_id, Ticket.channel, Ticket.created_at)


def filterable_fields(ticket_type: TicketType | None) -> dict[str, Field]:
    """Top-level custom fields of the type's current form that can be filtered."""
    if ticket_type is None:
        return {}
    version = current_version(ticket_type)
    if version is None:
        return {}
    return {f.name: f for f in compiled(version).describe()
            if f.path.count("/") == 1 and f.type in ("string", "integer", "number", "boolean")}


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
    if cursor:  # parse() let through only ids
        query = query.where(_cursor_condition(f, int(cursor), forward=not f.before))
    flipped = Filters(**{**f.__dict__, "last": backwards})
    found = db.session.execute(apply_order(query, flipped).limit(size + 1)).all()
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    rows = names.resolve(found)
    return Page(
        tickets=rows, first_id=rows[0].id if rows else None,
        last_id=rows[-1].id if rows else None,
        has_prev=more if backwards else bool(f.after),
        has_next=(bool(f.before) and not f.last) if backwards else more,
    )


@dataclass
class Names:
    """Names of types, areas and staff (the filter lists), to label ticket lines."""

    types: dict[int, str]
    areas: dict[int, str]
    staff: dict[int, str]

    def resolve(self, found: list[Any]) -> list[Row]:
        """Turn ticket tuples into lines; requesters are looked up in one query."""
        people = dict(self.staff)
        missing = {r.requester_id for r in found} | {r.assignee_id for r in found}
        missing -= people.keys() | {None}
        if missing:
            people.update(db.session.execute(
                select(User.id, User.name).where(User.id.in_(missing))).all())
        return [Row(r.id, r.number, r.subject, r.status, r.priority, r.updated_at,
                    self.types.get(r.ticket_type_id, ""), people.get(r.requester_id, ""),
                    self.areas.get(r.area_id) if r.area_id else None,
                    people.get(r.assignee_id) if r.assignee_id else None, r.channel,
                    r.created_at, r.ticket_type_id, r.requester_id, r.area_id, r.assignee_id)
                for r in found]


def view_counts(user: User) -> dict[str, int]:
    """Count the tickets in each named view, in one statement, up to COUNT_CAP each.

    Counting stops at the cap (the page shows "10000+"): an exact count of a whole
    history costs a scan of every ticket on each page load, and nobody reads that number.
    """
    from .filters import view_condition

    cap = current_app.config["DASHBOARD_COUNT_CAP"]
    columns = []
    for view in VIEWS:
        condition = view_condition(view, user)
        rows = visible_tickets(user).with_only_columns(Ticket.id)
        if condition is not None:
            rows = rows.where(condition)
        capped = rows.limit(cap + 1).subquery()
        columns.append(select(func.count()).select_from(capped).scalar_subquery().label(view))
    found = db.session.execute(select(*columns)).one()
    return dict(zip(VIEWS, found, strict=True))


def _link(**changes: Any) -> str:
    """This page's URL with some arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key in ("after", "before", "last"):
        args.pop(key, None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for("desk.dashboard") + ("?" + urlencode(args, doseq=True) if args else "")


@bp.get("/")
@staff_required
def dashboard() -> Response | str | tuple[str, int]:
    """Show the Tablero with the filters in the URL (shareable and bookmarkable)."""
    if not request.args:
        default = _default_query(current_user)
        if default:
            return redirect(url_for("desk.dashboard") + "?" + default)
    # A FilterError (bad date, array, oversize value…) becomes a 400 page (errors.py).
    f = parse(request.args)
    found = listing(f, current_user)
    from ..i18n import plain_labels, short_datetime_formatter

    return render_template(
        "desk/dashboard.html", page=found.page, f=f, counts=view_counts(current_user),
        count_cap=current_app.config["DASHBOARD_COUNT_CAP"],
        labels=plain_labels(), when=short_datetime_formatter(),
        views=VIEWS, fields=found.fields, ticket_type=found.ticket_type, link=_link,
        ticket_prefix=url_for("desk.ticket", number=0)[:-1],
        locale=str(get_locale()), **found.choices,
        saved=db.session.execute(select(SavedView.id, SavedView.name, SavedView.query,
                                        SavedView.is_default).where(
            SavedView.user_id == current_user.id).order_by(SavedView.name)).all(),
        query_string=request.query_string.decode()[:2000],
    )


@dataclass
class Listing:
    """One page of a filtered list, with what the filter form shows."""

    page: Page
    ticket_type: TicketType | None
    fields: dict[str, Field]
    choices: dict[str, Any]


def listing(f: Filters, user: User, size: int = PAGE_SIZE) -> Listing:
    """Find one page of the tickets a user may see under these filters (Tablero and API)."""
    choices = _choices()
    ticket_type = db.session.scalar(select(TicketType).where(
        TicketType.key == f.type_key)) if f.type_key else None
    fields = filterable_fields(ticket_type)
    base = visible_tickets(user).where(
        *conditions(f, user, ticket_type.id if ticket_type else None, fields))
    names = Names(types={t.id: t.name for t in choices["types"]},
                  areas={a.id: a.name for a in choices["areas"]},
                  staff={u.id: u.name for u in choices["staff"]})
    return Listing(fetch_page(base, f, names, size), ticket_type, fields, choices)


def _choices() -> dict[str, Any]:
    """Lists for the filter form: types, areas, collaborators, statuses, priorities."""
    return {
        "types": db.session.execute(select(TicketType.id, TicketType.key, TicketType.name)
                                    .order_by(TicketType.name)).all(),
        "areas": db.session.execute(select(Area.id, Area.name).order_by(Area.name)).all(),
        "staff": db.session.execute(select(User.id, User.name).where(
            User.role.in_([Role.ADMIN, Role.COLLABORATOR])).order_by(User.name)).all(),
        "statuses": [s.value for s in Status], "priorities": PRIORITIES,
        "channels": [c.value for c in Channel],
    }


def _default_query(user: User) -> str:
    """The user's default saved view, or the role's default view."""
    saved = db.session.scalar(select(SavedView.query).where(
        SavedView.user_id == user.id, SavedView.is_default.is_(True)))
    if saved:
        return saved
    view = current_app.config.get(f"DASHBOARD_VIEW_{user.role.upper()}", "activos")
    return "" if view == "activos" else urlencode({"view": view})


@bp.post("/vistas")
@staff_required
def save_view() -> Response | tuple[str, int]:
    """Save the current filters under a name."""
    name = request.form.get("name", "").strip()[:80]
    query = request.form.get("query", "")[:2000]
    if not name:
        flash(_("Give the view a name."), "danger")
        return redirect(url_for("desk.dashboard") + ("?" + query if query else ""))
    parse(_args(query))  # refuse to save filters that could not be shown
    existing = db.session.scalar(select(SavedView).where(
        SavedView.user_id == current_user.id, SavedView.name == name))
    if existing is None:
        db.session.add(SavedView(user_id=current_user.id, name=name, query=query))
    else:
        existing.query = query
    commit()
    flash(_("View %(name)s saved.", name=name), "success")
    return redirect(url_for("desk.dashboard") + ("?" + query if query else "?view=activos"))


def _args(query: str) -> Any:
    """Parse a stored query string into arguments."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    return MultiDict(parse_qsl(query, keep_blank_values=False))


def _own_view(view_id: int) -> SavedView:
    """Return one of the current user's saved views, or 404."""
    return owned_or_404(SavedView, view_id)


@bp.post("/vistas/<int:view_id>/borrar")
@staff_required
def delete_view(view_id: int) -> Response:
    """Delete one of my saved views."""
    db.session.delete(_own_view(view_id))
    commit()
    flash(_("View deleted."), "info")
    return redirect(url_for("desk.dashboard", view="activos"))


@bp.post("/vistas/<int:view_id>/predeterminada")
@staff_required
def default_view(view_id: int) -> Response:
    """Make one of my saved views the one the Tablero opens with."""
    chosen = _own_view(view_id)
    for view in db.session.scalars(select(SavedView).where(
            SavedView.user_id == current_user.id)):
        view.is_default = view.id == chosen.id
    commit()
    flash(_("%(name)s is now your default view.", name=chosen.name), "success")
    return redirect(url_for("desk.dashboard") + "?" + chosen.query)


@bp.get("/carga")
@admin_required
def workload() -> str:
    """Open tickets per collaborator and per area, to distribute work."""
    # One pass over the open tickets, read from ix_tickets_status_owner alone, counted by
    # (owner, area); people and areas with nothing open still get their line.
    # The grouping keys are wrapped (coalesce(x, x) is x) to hide ix_tickets_assignee_status
    # from SQLite: its statistics average the statuses (16,667 rows each at 100k), miss that
    # open ones are few, and it would scan that whole index to group without sorting.
    owner, area = (func.coalesce(c, c) for c in (Ticket.assignee_id, Ticket.area_id))
    counts = db.session.execute(
        select(owner, area, func.count()).where(Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(owner, area)).all()
    by_person: dict[int | None, int] = {}
    by_area: dict[int | None, int] = {}
    for assignee_id, area_id, n in counts:
        by_person[assignee_id] = by_person.get(assignee_id, 0) + n
        by_area[area_id] = by_area.get(area_id, 0) + n
    people = db.session.execute(select(User.id, User.name).where(
        User.role.in_([Role.ADMIN, Role.COLLABORATOR]), User.active.is_(True))).all()
    areas = db.session.execute(select(Area.id, Area.name)).all()
    per_person = sorted(((u, by_person.get(u.id, 0)) for u in people),
                        key=lambda pair: (-pair[1], pair[0].name))
    per_area = sorted(((a, by_area.get(a.id, 0)) for a in areas),
                      key=lambda pair: (-pair[1], pair[0].name))
    unassigned = by_person.get(None, 0)
    return render_template("desk/workload.html", per_person=per_person, per_area=per_area,
                           unassigned=unassigned)
