"""Filing a ticket on behalf of a client who phoned, wrote or walked in."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.decorators import staff_required
from ..catalog.versions import filable_type, filable_types
from ..models import Channel, HeldUpload
from ..tickets.forms import TicketBaseForm, custom_fields, error_summary
from ..tickets.service import TicketInputError, hold_refused
from ..unit_of_work import commit
from . import bp
from .service import Caller, file_for_client

CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.WALK_IN, Channel.PORTAL)


@bp.get("/nueva")
@staff_required
def choose_type() -> str:
    """Pick the type of the request being filed for a client."""
    return render_template("desk/choose_type.html", types=filable_types())


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
    caller = Caller(request.form.get("requester_email", ""), request.form.get("requester_name", ""))
    locale = str(get_locale())
    values: dict[str, Any] | None = None
    errors: dict[str, list[str]] = {}
    held: list[HeldUpload] = []
    if base.validate_on_submit():
        new = base.submission(request.form, request.files, channel)
        try:
            ticket = file_for_client(current_user, ticket_type, new, caller, locale)
        except TicketInputError as exc:
            values, errors = exc.values, exc.errors
            held = hold_refused(current_user, new)
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
        fields=custom_fields(ticket_type, locale, values, errors),
        summary=error_summary(ticket_type, errors, locale),
        errors=errors,
        held=held,
        channels=CHANNELS,
        channel=channel,
        requester_email=caller.email,
        requester_name=caller.name,
    ), 400 if errors else 200
