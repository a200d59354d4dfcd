"""Client actions on their own ticket: reply, reopen, rate the service."""

from __future__ import annotations

from collections.abc import Callable

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


def run(
    ticket: Ticket,
    action: Callable[[], object],
    done: str,
    refused: Callable[[str], Response | tuple[str, int]],
) -> Response | tuple[str, int]:
    """Run one workflow action and commit; a refusal undoes it and is shown by ``refused``."""
    try:
        action()
    except workflow.NotAllowed as exc:
        db.session.rollback()
        return refused(str(exc.message))
    commit()
    flash(done, "success")
    return back(ticket)


def _flashed(ticket: Ticket) -> Callable[[str], Response]:
    """Show a refusal as a message on the ticket page."""

    def show(message: str) -> Response:
        flash(message, "danger")
        return back(ticket)

    return show


@bp.post("/tickets/<int:number>/responder")
@client_required
def reply(number: int) -> Response | tuple[str, int]:
    """Reply on an open ticket, with attachments."""
    ticket = ticket_or_404(number)
    body = request.form.get("body", "")
    files, tokens = request.files.getlist("attachments"), request.form.getlist("held")
    try:
        workflow.reply(current_user, ticket, body, files=files, held=tokens)
    except workflow.NotAllowed as exc:
        db.session.rollback()
        # Nothing was written; the message and the files stay on the page for the next try.
        held = workflow.keep_files(current_user, files, tokens)
        commit()
        page = render_ticket(ticket, reply_error=exc.message, reply_text=body, held=held)
        return page, 400
    commit()
    flash(_("Your reply was sent."), "success")
    return back(ticket)


@bp.post("/tickets/<int:number>/reabrir")
@client_required
def reopen(number: int) -> Response | tuple[str, int]:
    """Reopen a resolved or closed ticket within the allowed window."""
    ticket = ticket_or_404(number)
    return run(
        ticket,
        lambda: workflow.reopen(current_user, ticket),
        _("The ticket was reopened."),
        _flashed(ticket),
    )


@bp.post("/tickets/<int:number>/valorar")
@client_required
def feedback(number: int) -> Response | tuple[str, int]:
    """Rate the service (1–5) with an optional comment, once per closure."""
    ticket = ticket_or_404(number)
    rating = whole_number(request.form.get("rating", ""), 5) or 0
    comment = request.form.get("comment", "")[:2000]
    return run(
        ticket,
        lambda: workflow.leave_feedback(current_user, ticket, rating, comment),
        _("Thank you for rating the service."),
        lambda message: (
            render_ticket(ticket, feedback_error=message, feedback_text=comment),
            400,
        ),
    )
