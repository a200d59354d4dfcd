"""Administration pages."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ..auth.decorators import admin_required
from ..extensions import db
from ..models import Area, TicketType
from . import bp


@bp.get("/")
@admin_required
def index() -> str:
    """Show the Service Desk administration overview."""
    types = db.session.scalars(select(TicketType).order_by(TicketType.name)).all()
    areas = db.session.scalars(select(Area).order_by(Area.name)).all()
    return render_template("admin/index.html", types=types, areas=areas)
