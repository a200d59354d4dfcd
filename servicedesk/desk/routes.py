"""Collaborator pages."""

from __future__ import annotations

from flask import render_template
from flask_babel import get_locale
from flask_login import current_user

from ..auth.decorators import staff_ticket_required
from ..catalog import display
from ..extensions import db
from ..models import PRIORITIES, Area, Status, Ticket
from ..sla.display import duration_text, panel
from ..tickets import workflow
from ..tickets.history import entries
from ..tickets.loading import ticket_or_404
from ..tickets.visibility import visible_attachments, visible_comments
from . import bp

PAGE_SIZE = 50


@bp.get("/tickets/<int:number>")
@staff_ticket_required
def ticket(number: int) -> str:
    """Show a ticket with every field, labelled by its own form version, and its timeline."""
    return render_ticket(ticket_or_404(number))


def render_ticket(found: Ticket, **extra: object) -> str:
    """Render the desk's ticket page; a refused reply adds its message, text and files."""
    history = entries(found, current_user, str(get_locale()))
    areas = db.session.scalars(
        db.select(Area).where(Area.active.is_(True)).order_by(Area.name)
    ).all()
    return render_template(
        "desk/ticket.html",
        ticket=found,
        rows=display.rows(found, str(get_locale())),
        history=history,
        attachments=visible_attachments(found, current_user),
        comments=visible_comments(found, current_user),
        statuses=[s.value for s in Status],
        priorities=PRIORITIES,
        areas=areas,
        staff=workflow.staff_choices() if current_user.is_admin else [],
        transitions=workflow.TRANSITIONS.get(found.status, set()),
        sla=panel(found),
        duration_text=duration_text,
        **extra,
    )
