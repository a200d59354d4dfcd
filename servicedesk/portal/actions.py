"""Client actions on their own ticket: reply, reopen, rate the service."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.decorators import client_required
from ..extensions import db
from ..models import Ticket
from ..numbers import whole_number
from ..tickets import workflow
from ..tickets.loading import ticket_or_404
from ..unit_of_work import commit
from . import bp
from .pages import render_ticket


def back(ticket: Ticket) -> Response:
    """Return to the client's ticket page."""
    return redirect(url_for("portal.ticket", number=ticket.number))


@bp.post("/tickets/<int:number>/responder")
@client_required
def reply(number: int) -> Response | tuple[str, int]:
    """Reply on an open ticket, with attachments."""
    ticket = ticket_or_404(number)
    body = request.form.get("body", "")
    try:
        workflow.reply(current_user, ticket, body, files=request.files.getlist("attachments"))
    except workflow.NotAllowed as exc:
        db.session.rollback()
        return render_ticket(ticket, reply_error=str(exc.message), reply_text=body), 400
    commit()
    flash(_("Your reply was sent."), "success")
    return back(ticket)


@bp.post("/tickets/<int:number>/reabrir")
@client_required
def reopen(number: int) -> Response:
    """Reopen a resolved or closed ticket within the allowed window."""
    ticket = ticket_or_404(number)
    try:
        workflow.reopen(current_user, ticket)
    except workflow.NotAllowed as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return back(ticket)
    commit()
    flash(_("The ticket was reopened."), "success")
    return back(ticket)


@bp.post("/tickets/<int:number>/valorar")
@client_required
def feedback(number: int) -> Response | tuple[str, int]:
    """Rate the service (1–5) with an optional comment, once per closure."""
    ticket = ticket_or_404(number)
    raw = request.form.get("rating", "")
    comment = request.form.get("comment", "")[:2000]
    try:
        rating = whole_number(raw, 5) or 0
        workflow.leave_feedback(current_user, ticket, rating, comment)
    except workflow.NotAllowed as exc:
        db.session.rollback()
        return render_ticket(ticket, feedback_error=str(exc.message), feedback_text=comment), 400
    commit()
    flash(_("Thank you for rating the service."), "success")
    return back(ticket)
