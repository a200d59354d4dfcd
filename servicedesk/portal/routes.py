"""Client pages."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..auth.decorators import client_required
from ..extensions import db
from ..models import Ticket
from ..tickets.visibility import visible_tickets
from . import bp

PAGE_SIZE = 50


@bp.get("/")
@client_required
def index() -> str:
    """List the client's own tickets, latest activity first."""
    query = (
        visible_tickets(current_user)
        .options(joinedload(Ticket.ticket_type))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(PAGE_SIZE)
    )
    tickets = db.session.scalars(query).all()
    return render_template("portal/index.html", tickets=tickets)
