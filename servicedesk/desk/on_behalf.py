"""Filing a ticket on behalf of a client who phoned, wrote or walked in."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.decorators import staff_required
from ..catalog.versions import filable_type, filable_types
from ..extensions import db
from ..models import Channel, User
from ..numbers import row_id
from ..tickets.forms import TicketBaseForm, custom_fields, error_summary
from ..tickets.service import Kept, TicketInputError, hold_refused
from ..unit_of_work import commit
from . import bp
from .service import Caller, file_for_client, find_clients

CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.WALK_IN, Channel.PORTAL)


@bp.get("/nueva")
@staff_required
def choose_type() -> str:
    """Pick the type of the request being filed for a client."""
    return render_template("desk/choose_type.html", types=filable_types())


@bp.get("/clientes")
@staff_required
def clients() -> Response:
    """Clients matching what the desk typed, for the search as you type (JSON)."""
    found = find_clients(request.args.get("q", ""))
    return jsonify([{"id": u.id, "label": client_label(u)} for u in found])


def client_label(user: User) -> str:
    """A client as the front desk tells them apart: name, unit, phone, e-mail."""
    return " · ".join(part for part in (user.name, user.unit, user.phone, user.email) if part)


def _choices(caller: Caller) -> list[tuple[int, str]]:
    """The clients to choose from: those the search found, and the one already chosen."""
    people = find_clients(request.args.get("cliente", ""))
    chosen = db.session.get(User, caller.client_id) if caller.client_id else None
    if chosen is not None and chosen.is_client and chosen not in people:
        people.insert(0, chosen)
    return [(u.id, client_label(u)) for u in people]


def _caller() -> Caller:
    """Who the ticket is for, as posted."""
    form = request.form
    return Caller(
        email=form.get("requester_email", "")[:254],
        name=form.get("requester_name", "")[:120],
        phone=form.get("requester_phone", "")[:40],
        unit=form.get("requester_unit", "")[:60],
        client_id=row_id(form.get("client_id", "")),
    )


@bp.route("/nueva/<key>", methods=["GET", "POST"])
@staff_required
def new_ticket(key: str) -> Response | str | tuple[str, int]:
    """File a ticket for a client, recording the channel it came through."""
    ticket_type = filable_type(key)
    if ticket_type is None:
        abort(404)
    channel = request.form.get("channel", Channel.PHONE)
    if channel not in CHANNELS:
        channel = Channel.PHONE
    base = TicketBaseForm()
    caller = _caller()
    found = _choices(caller)
    locale = str(get_locale())
    values: dict[str, Any] | None = None
    errors: dict[str, list[str]] = {}
    kept = Kept([], {})
    if base.validate_on_submit():
        new = base.submission(request.form, request.files, channel)
        try:
            ticket = file_for_client(current_user, ticket_type, new, caller, locale)
        except TicketInputError as exc:
            values, errors = exc.values, exc.errors
            kept = hold_refused(current_user, ticket_type, new, locale)
            commit()  # the files stay for the next try
        else:
            # Read before the commit expires the rows (each would be read again).
            number, name = ticket.number, ticket.requester.name
            commit()
            flash(_("Ticket #%(number)d filed for %(name)s.", number=number, name=name), "success")
            return redirect(url_for("desk.ticket", number=number))
    return render_template(
        "desk/new_ticket.html",
        ticket_type=ticket_type,
        base=base,
        fields=custom_fields(ticket_type, locale, values, errors, kept.fields),
        summary=error_summary(ticket_type, errors, locale),
        errors=errors,
        held=kept.attachments,
        channels=CHANNELS,
        channel=channel,
        caller=caller,
        found=found,
        search=request.args.get("cliente", "")[:100],
    ), 400 if errors else 200
