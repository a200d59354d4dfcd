"""The client's ticket page, shown by the page's own route and by a refused reply or rating."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from ..catalog import display
from ..extensions import db
from ..models import Feedback, Ticket
from ..tickets.visibility import visible_attachments, visible_comments


def render_ticket(ticket: Ticket, **extra: object) -> str:
    """Render the client's ticket page: their fields, status and the public thread."""
    feedback = db.session.scalar(
        select(Feedback).where(
            Feedback.ticket_id == ticket.id, Feedback.closure == ticket.closure_count
        )
    )
    return render_template(
        "portal/ticket.html",
        ticket=ticket,
        rows=display.rows(ticket, str(get_locale())),
        attachments=visible_attachments(ticket, current_user),
        comments=visible_comments(ticket, current_user),
        feedback=feedback,
        reopen_days=current_app.config["REOPEN_DAYS"],
        **extra,
    )
