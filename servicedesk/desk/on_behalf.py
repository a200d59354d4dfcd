"""Filing a ticket on behalf of a client who phoned, wrote or walked in."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..auth.decorators import staff_required
from ..auth.service import invite_user
from ..catalog.versions import filing_type
from ..emails import is_email, normalise_email
from ..extensions import db
from ..models import Channel, Role, TicketType, User
from ..tickets.filing import file_from_request
from ..tickets.forms import TicketBaseForm
from ..unit_of_work import commit
from . import bp

CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.WALK_IN, Channel.PORTAL)


@bp.get("/nueva")
@staff_required
def choose_type() -> str:
    """Pick the type of the request being filed for a client."""
    types = db.session.scalars(
        select(TicketType)
        .where(TicketType.active.is_(True), TicketType.current_version > 0)
        .order_by(TicketType.name)
    )
    return render_template("desk/choose_type.html", types=list(types))


def _requester(errors: dict[str, list[str]]) -> User | None:
    """Find the client by e-mail, or create (and invite) one when a name is given."""
    email = normalise_email(request.form.get("requester_email", ""))
    name = request.form.get("requester_name", "").strip()[:120]
    if not is_email(email):
        errors["requester_email"] = [_("Enter the client's e-mail.")]
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        if not user.is_client:
            errors["requester_email"] = [
                _("This e-mail belongs to a member of the desk, not a client.")
            ]
            return None
        return user
    if not name:
        errors["requester_name"] = [_("No client has this e-mail; enter a name to create one.")]
        return None
    if errors:  # do not create an account for a ticket that will not be filed
        return None
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    return invite_user(
        current_user, name=name, email=email, role=Role.CLIENT, language=language
    ).user


@bp.route("/nueva/<key>", methods=["GET", "POST"])
@staff_required
def new_ticket(key: str) -> Response | str | tuple[str, int]:
    """File a ticket for a client, recording the channel it came through."""
    ticket_type = db.session.scalar(filing_type().where(TicketType.key == key))
    if ticket_type is None or not ticket_type.active or ticket_type.current_version < 1:
        abort(404)
    channel = request.form.get("channel", Channel.PHONE)
    if channel not in CHANNELS:
        channel = Channel.PHONE
    base = TicketBaseForm()
    outcome = file_from_request(current_user, ticket_type, base, _requester, channel)
    if outcome.ticket is not None:
        # Read before the commit expires the rows (each would be read again).
        number, name = outcome.ticket.number, outcome.ticket.requester.name
        commit()
        flash(_("Ticket #%(number)d filed for %(name)s.", number=number, name=name), "success")
        return redirect(url_for("desk.ticket", number=number))
    return render_template(
        "desk/new_ticket.html",
        ticket_type=ticket_type,
        base=base,
        fields=outcome.fields,
        errors=outcome.errors,
        channels=CHANNELS,
        channel=channel,
        requester_email=request.form.get("requester_email", ""),
        requester_name=request.form.get("requester_name", ""),
    ), 400 if outcome.errors else 200
