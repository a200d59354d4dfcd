"""Collaborator actions on a ticket: reply or note, status, priority and area, close, take,
assign, edit custom fields. Each view parses, calls one workflow function, commits once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from ..auth.decorators import staff_ticket_required
from ..catalog import display
from ..catalog.versions import compiled
from ..extensions import db
from ..models import Area, Priority, Status, Ticket, User
from ..numbers import row_id
from ..reports import pdf
from ..tickets import workflow
from ..tickets.history import entries
from ..tickets.loading import ticket_or_404
from ..tickets.service import keep_stored_files
from ..tickets.visibility import visible_comments
from ..unit_of_work import commit
from ..zones import zone_of
from . import bp
from .routes import render_ticket

Page = Response | str | tuple[str, int]
# What a person typed, as (label, value) lines for the conflict page.
Typed = list[tuple[str, str]]


def back(ticket: Ticket) -> Response:
    """Return to the ticket's desk page."""
    return redirect(url_for("desk.ticket", number=ticket.number))


def stale(ticket: Ticket) -> bool:
    """Tell whether the form was built from an older version of the ticket."""
    return request.form.get("version", "") != str(ticket.version)


def conflict(ticket: Ticket, what: str, typed: Typed, status: int = 409) -> tuple[str, int]:
    """Explain that someone else changed the ticket, keeping what this user typed."""
    return render_template("desk/conflict.html", ticket=ticket, what=what, typed=typed), status


def run(
    ticket: Ticket, action: Callable[[], Any], done: str, edit: tuple[str, Typed] | None = None
) -> Page:
    """Run one workflow action, commit, and report success, the refusal or the conflict.

    An edit (``edit`` names it and what was typed) can lose the race against another edit
    of the same ticket: the ORM's version check refuses it, and the person sees the
    conflict page instead of an error.
    """
    try:
        action()
        commit()
    except workflow.NotAllowed as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return back(ticket)
    except StaleDataError:
        db.session.rollback()
        if edit is None:
            raise
        return conflict(ticket, *edit)
    flash(done, "success")
    return back(ticket)


@bp.post("/tickets/<int:number>/responder")
@staff_ticket_required
def reply(number: int) -> Page:
    """Reply to the client, or add an internal note, with attachments."""
    ticket = ticket_or_404(number)
    internal = request.form.get("internal") == "1"
    body = request.form.get("body", "")
    files, tokens = request.files.getlist("attachments"), request.form.getlist("held")
    try:
        workflow.reply(current_user, ticket, body, internal, files=files, held=tokens)
    except workflow.NotAllowed as exc:
        db.session.rollback()
        # Nothing was written; the message and the files stay on the page for the next try.
        held = workflow.keep_files(current_user, files, tokens)
        commit()
        page = render_ticket(
            ticket, reply_error=exc.message, reply_text=body, reply_internal=internal, held=held
        )
        return page, 400
    commit()
    flash(_("Internal note added.") if internal else _("Reply sent."), "success")
    return back(ticket)


@bp.post("/tickets/<int:number>/propiedades")
@staff_ticket_required
def properties(number: int) -> Page:
    """Change status, priority and area together (optimistic lock on the ticket)."""
    ticket = ticket_or_404(number)
    status, priority = request.form.get("status", ""), request.form.get("priority", "")
    area_id = row_id(request.form.get("area_id", ""))
    area = db.session.get(Area, area_id) if area_id else None
    typed = [
        (_("Status"), str(Status.label_of(status))),
        (_("Priority"), str(Priority.label_of(priority))),
        (_("Area"), area.name if area else _("No area")),
    ]
    if stale(ticket):
        return conflict(ticket, "properties", typed)

    def act() -> None:
        workflow.set_priority(current_user, ticket, priority)
        workflow.set_area(current_user, ticket, area)
        workflow.change_status(current_user, ticket, status)

    return run(ticket, act, _("Ticket updated."), edit=("properties", typed))


@bp.post("/tickets/<int:number>/cerrar")
@staff_ticket_required
def close(number: int) -> Page:
    """Close with a resolution note."""
    ticket = ticket_or_404(number)
    resolution = request.form.get("resolution", "")
    typed = [(_("Resolution"), resolution)]
    if stale(ticket):
        return conflict(ticket, "close", typed)
    return run(
        ticket,
        lambda: workflow.close(current_user, ticket, resolution),
        _("Ticket closed."),
        edit=("close", typed),
    )


@bp.post("/tickets/<int:number>/tomar")
@staff_ticket_required
def take(number: int) -> Page:
    """Take ownership ("Tomar posesión"); a lost race says who won."""
    ticket = ticket_or_404(number)
    seen = request.form.get("seen_assignee", "")
    seen_id = row_id(seen)
    try:
        workflow.take(current_user, ticket, seen_id)
    except workflow.TakenBySomeoneElse as exc:
        db.session.rollback()
        # A page, not a redirect: a browser does not follow a redirect answered with 409.
        return render_template(
            "desk/conflict.html", ticket=ticket, what="taken", message=str(exc.message), typed=[]
        ), 409
    except workflow.NotAllowed as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return back(ticket)
    commit()
    flash(_("You took ownership of this ticket."), "success")
    return back(ticket)


@bp.post("/tickets/<int:number>/asignar")
@staff_ticket_required
def assign(number: int) -> Page:
    """Assign or reassign to a collaborator (administrators)."""
    ticket = ticket_or_404(number)
    if not current_user.is_admin:
        abort(403)
    raw = request.form.get("assignee_id", "")
    assignee_id = row_id(raw)
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if raw and assignee is None:
        flash(_("Choose a collaborator from the list."), "danger")
        return back(ticket)
    return run(
        ticket, lambda: workflow.assign(current_user, ticket, assignee), _("Ticket assigned.")
    )


@bp.route("/tickets/<int:number>/campos", methods=["GET", "POST"])
@staff_ticket_required
def edit_fields(number: int) -> Page:
    """Edit custom fields through the engine, validated against the ticket's own version."""
    ticket = ticket_or_404(number)
    form = compiled(ticket.type_version)
    locale = str(get_locale())
    values, errors = ticket.data, {}
    if request.method == "POST":
        # Files stay as they were: this page edits answers, not attachments.
        zone = zone_of(current_user)  # the editor's wall time, for date-time fields
        values = keep_stored_files(
            form, ticket.data, form.parse(request.form, locale=locale, zone=zone)
        )
        typed = typed_fields(form.describe(), values, locale)
        if stale(ticket):
            return conflict(ticket, "fields", typed)
        errors = form.validate(values, locale, typed=True)
        if not errors:
            return run(
                ticket,
                lambda: workflow.edit_fields(current_user, ticket, form.prune(values)),
                _("Fields saved."),
                edit=("fields", typed),
            )
    return render_template(
        "desk/edit_fields.html",
        ticket=ticket,
        fields=form.render(values, errors, locale, zone=zone_of(current_user)),
    ), 400 if errors else 200


def typed_fields(fields: list[Any], values: dict[str, Any], locale: str) -> Typed:
    """Custom-field answers under their labels in the reader's language."""
    lines: Typed = []
    for field in fields:
        if field.path.count("/") == 1 and field.type != "file" and field.name in values:
            label = field.labels.get(locale) or field.name
            lines.append((label, str(values[field.name])))
    return lines


@bp.get("/tickets/<int:number>/pdf")
@staff_ticket_required
def ticket_pdf(number: int) -> Response:
    """The ticket's full record as PDF: fields, public thread and timeline."""
    ticket = ticket_or_404(number)
    history = entries(ticket, current_user, str(get_locale()))
    body = pdf.render(
        "reports/ticket_pdf.html",
        ticket=ticket,
        rows=display.rows(ticket, str(get_locale())),
        history=history,
        # The record as its client reads it: the public thread.
        comments=visible_comments(ticket, ticket.requester),
    )
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="ticket-{ticket.number}.pdf"'},
    )
