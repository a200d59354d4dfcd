"""Collaborator pages."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..auth.decorators import staff_required
from ..extensions import db
from ..models import ACTIVE_STATUSES, Ticket
from ..tickets.visibility import visible_tickets
from . import bp

PAGE_SIZE = 50


@bp.get("/")
@staff_required
def dashboard() -> str:
    """Show the active tickets, most recently updated first."""
    query = (
        visible_tickets(current_user)
        .where(Ticket.status.in_(ACTIVE_STATUSES))
        .options(joinedload(Ticket.ticket_type), joinedload(Ticket.requester),
                 joinedload(Ticket.assignee), joinedload(Ticket.area))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(PAGE_SIZE)
    )
    tickets = db.session.scalars(query).all()
    return render_template("desk/dashboard.html", tickets=tickets)


@bp.get("/tickets/<int:number>")
@staff_required
def ticket(number: int) -> str:
    """Show a ticket with every field, labelled by its own form version, and its timeline."""
    from flask import abort
    from flask_babel import get_locale

    from ..tickets import display

    found = db.session.scalar(
        visible_tickets(current_user).where(Ticket.number == number)
        .options(joinedload(Ticket.type_version), joinedload(Ticket.requester))
    )
    if found is None:
        abort(404)
    return render_template("desk/ticket.html", ticket=found,
                           rows=display.rows(found, str(get_locale())))
