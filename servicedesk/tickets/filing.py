"""The shared request handling for "Agregar petición" (client) and filing on behalf (desk)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import request
from flask_babel import get_locale
from markupsafe import Markup

from ..models import Channel, Ticket, TicketType, User
from .attachments import check_uploads
from .forms import TicketBaseForm
from .service import NewTicket, TicketInputError, check, create_ticket, form_for, store_attachment


@dataclass
class Outcome:
    """Either the filed ticket, or what the page needs to show the form again."""

    ticket: Ticket | None = None
    fields: Markup = Markup("")
    errors: dict[str, list[str]] = field(default_factory=dict)


def file_from_request(
    actor: User,
    ticket_type: TicketType,
    base: TicketBaseForm,
    requester: Callable[[dict[str, list[str]]], User | None],
    channel: str = Channel.PORTAL,
) -> Outcome:
    """Parse, validate and file a ticket from the current request (nothing committed)."""
    version, form = form_for(ticket_type)
    locale = str(get_locale())
    if request.method != "POST" or not base.validate_on_submit():
        return Outcome(fields=form.render(None, {}, locale))
    values = form.parse(request.form, request.files)
    new = NewTicket(
        ticket_type,
        base.subject.data or "",
        base.description.data or "",
        values,
        form.uploads(request.files, values=values),
        channel,
    )
    extra = [f for f in request.files.getlist("attachments") if f.filename]
    errors: dict[str, list[str]] = {}
    try:
        check(form, new, request.files, locale)
    except TicketInputError as exc:
        errors = exc.errors
    problems = check_uploads(extra)
    if problems:
        errors["attachments"] = problems
    person = requester(errors)
    if errors or person is None:
        return Outcome(fields=form.render(values, errors, locale), errors=errors)
    ticket = create_ticket(actor, person, new, version)
    for upload in extra:
        store_attachment(ticket, actor, upload)
    return Outcome(ticket=ticket)
