"""Client pages: Mis tickets, Agregar petición, the ticket page."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from ..auth.decorators import client_required
from ..catalog.versions import filable_type, filable_types
from ..extensions import db
from ..models import Channel, Status, Ticket, TicketType
from ..numbers import row_id
from ..tickets import search
from ..tickets.forms import TicketBaseForm, custom_fields, error_summary
from ..tickets.listing import latest_first
from ..tickets.loading import ticket_or_404
from ..tickets.service import Kept, TicketInputError, check_new, file_ticket, hold_refused
from ..tickets.visibility import visible_tickets
from ..unit_of_work import commit
from . import bp
from .pages import render_ticket

PAGE_SIZE = 50


@bp.get("/")
@client_required
def index() -> str:
    """List the client's own tickets, latest activity first, filtered by status and type."""
    status = request.args.get("status", "")
    type_key = request.args.get("type", "")
    query = visible_tickets(current_user).options(joinedload(Ticket.ticket_type))
    # Filters come from allow-lists; anything else is ignored.
    if status in {s.value for s in Status}:
        query = query.where(Ticket.status == status)
    types = db.session.scalars(select(TicketType).order_by(TicketType.name)).all()
    chosen = next((t for t in types if t.key == type_key), None)
    if chosen is not None:
        query = query.where(Ticket.ticket_type_id == chosen.id)
    words = request.args.get("q", "")[:200]
    if words and (found := search.match(words)) is not None:
        query = query.where(found)
    tickets, more = latest_first(query, row_id(request.args.get("after", "")), PAGE_SIZE)
    return render_template(
        "portal/index.html",
        tickets=tickets,
        next_after=tickets[-1].id if more else None,
        types=types,
        q=words,
        statuses=[s.value for s in Status],
        status=status,
        type_key=chosen.key if chosen else "",
    )


@bp.get("/nueva")
@client_required
def choose_type() -> str:
    """Let the client pick the kind of request among the active types."""
    return render_template("portal/choose_type.html", types=filable_types())


def active_type(key: str) -> TicketType:
    """Return an active ticket type by key, or 404."""
    ticket_type = filable_type(key)
    if ticket_type is None:
        abort(404)
    return ticket_type


@bp.route("/nueva/<key>", methods=["GET", "POST"])
@client_required
def new_ticket(key: str) -> Response | str | tuple[str, int]:
    """Show a type's generated form and file the ticket ("Agregar petición")."""
    ticket_type = active_type(key)
    base = TicketBaseForm()
    locale = str(get_locale())
    values: dict[str, Any] | None = None
    errors: dict[str, list[str]] = {}
    kept = Kept([], {})
    if base.validate_on_submit():
        new = base.submission(request.form, request.files, Channel.PORTAL)
        try:
            checked = check_new(ticket_type, new, locale, current_user)
        except TicketInputError as exc:
            values, errors = exc.values, exc.errors
            kept = hold_refused(current_user, ticket_type, new, locale)
            commit()  # the files stay for the next try
        else:
            number = file_ticket(current_user, current_user, checked).number
            commit()  # the number was read before: the commit expires the row
            flash(_("Your request was filed as ticket #%(number)d.", number=number), "success")
            return redirect(url_for("portal.ticket", number=number))
    return render_template(
        "portal/new_ticket.html",
        ticket_type=ticket_type,
        base=base,
        fields=custom_fields(ticket_type, locale, values, errors, kept.fields),
        summary=error_summary(ticket_type, errors, locale),
        errors=errors,
        held=kept.attachments,
    ), 400 if errors else 200


@bp.get("/tickets/<int:number>")
@client_required
def ticket(number: int) -> str:
    """Show one of the client's own tickets; anyone else's is a 404."""
    return render_ticket(ticket_or_404(number))
