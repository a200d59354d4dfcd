"""The Tablero: named views with counts, combinable filters, search, keyset pages, saved views."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..auth.decorators import admin_required, staff_required
from ..extensions import db
from ..i18n import plain_labels, short_datetime_formatter
from ..models import ACTIVE_STATUSES, Area, Role, SavedView, Ticket, User
from ..sla.listing import STATES as SLA_STATES
from ..tickets.filters import DATE_FILTERS, VIEWS, iso_query, parse
from ..tickets.listing import listing, view_counts
from ..tickets.loading import owned_or_404
from ..unit_of_work import commit
from . import bp


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
    # A date it cannot read is shown again at its input, as typed, with the reason (400);
    # any other FilterError (array, oversize value…) becomes a 400 page (errors.py).
    locale = str(get_locale())
    problems: dict[str, str] = {}
    f = parse(request.args, locale, problems)
    found = listing(f, current_user)
    page = render_template(
        "desk/dashboard.html",
        page=found.page,
        f=f,
        counts=view_counts(current_user),
        count_cap=current_app.config["DASHBOARD_COUNT_CAP"],
        labels=plain_labels(),
        when=short_datetime_formatter(),
        views=VIEWS,
        fields=found.fields,
        ticket_type=found.ticket_type,
        link=_link,
        ticket_prefix=url_for("desk.ticket", number=0)[:-1],
        locale=locale,
        date_filters=DATE_FILTERS,
        date_problems=problems,
        sla_states=SLA_STATES,
        **found.choices,
        saved=db.session.execute(
            select(SavedView.id, SavedView.name, SavedView.query, SavedView.is_default)
            .where(SavedView.user_id == current_user.id)
            .order_by(SavedView.name)
        ).all(),
        query_string=iso_query(request.args, f)[:2000],
    )
    return (page, 400) if problems else page


def _default_query(user: User) -> str:
    """The user's default saved view, or the role's default view."""
    saved = db.session.scalar(
        select(SavedView.query).where(SavedView.user_id == user.id, SavedView.is_default.is_(True))
    )
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
    args = _args(query)
    # Refuse to save filters that could not be shown; keep their dates ISO, which reads the
    # same whatever language the view is opened in later.
    query = iso_query(args, parse(args, str(get_locale())))[:2000]
    existing = db.session.scalar(
        select(SavedView).where(SavedView.user_id == current_user.id, SavedView.name == name)
    )
    if existing is None:
        db.session.add(SavedView(user_id=current_user.id, name=name, query=query))
    else:
        existing.query = query
    commit()
    flash(_("View %(name)s saved.", name=name), "success")
    return redirect(url_for("desk.dashboard") + ("?" + query if query else "?view=activos"))


def _args(query: str) -> Any:
    """Parse a stored query string into arguments."""
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
    for view in db.session.scalars(select(SavedView).where(SavedView.user_id == current_user.id)):
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
        select(owner, area, func.count())
        .where(Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(owner, area)
    ).all()
    by_person: dict[int | None, int] = {}
    by_area: dict[int | None, int] = {}
    for assignee_id, area_id, n in counts:
        by_person[assignee_id] = by_person.get(assignee_id, 0) + n
        by_area[area_id] = by_area.get(area_id, 0) + n
    people = db.session.execute(
        select(User.id, User.name).where(
            User.role.in_([Role.ADMIN, Role.COLLABORATOR]), User.active.is_(True)
        )
    ).all()
    areas = db.session.execute(select(Area.id, Area.name)).all()
    per_person = sorted(
        ((u, by_person.get(u.id, 0)) for u in people), key=lambda pair: (-pair[1], pair[0].name)
    )
    per_area = sorted(
        ((a, by_area.get(a.id, 0)) for a in areas), key=lambda pair: (-pair[1], pair[0].name)
    )
    unassigned = by_person.get(None, 0)
    return render_template(
        "desk/workload.html", per_person=per_person, per_area=per_area, unassigned=unassigned
    )
