"""Ticket routes of the API: the same service functions, rules and visibility as the web."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..catalog.versions import compiled, filable_type
from ..extensions import db
from ..models import (
    PRIORITIES,
    Area,
    Channel,
    Feedback,
    Status,
    Ticket,
    TicketType,
    User,
)
from ..numbers import MAX_ID as MAX_INT
from ..numbers import is_row_id, row_id, whole_number
from ..sla.listing import STATES as SLA_STATES
from ..tickets import workflow
from ..tickets.attachments import send_attachment, visible_attachment
from ..tickets.filters import FIRST_DAY, LAST_DAY, VIEWS, parse
from ..tickets.history import entries
from ..tickets.listing import listing, policy_names
from ..tickets.loading import ticket_or_404
from ..tickets.service import (
    NewTicket,
    TicketInputError,
    check_new,
    file_ticket,
    keep_stored_files,
    requester_problem,
)
from ..tickets.visibility import visible_attachments, visible_comments
from ..unit_of_work import commit
from . import bp, contract, json_input, json_object, serialize
from .problems import ApiError
from .schemas import STATUSES, ref, text
from .spec import json_body, multipart_body, operation


def _query(
    name: str, schema: dict[str, Any], description: str = "", explode: bool = False
) -> dict[str, Any]:
    """A documented query parameter."""
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    if explode:
        param.update(style="form", explode=True)
    return param


# The filters' day range (tickets/filters.FIRST_DAY..LAST_DAY), said in the document.
DATE = {
    "type": "string",
    "format": "date",
    "pattern": "^(19|2[0-9])[0-9]{2}-",
    "description": (
        f"A day from {FIRST_DAY} to {LAST_DAY}, whole, in the token owner's time zone"
        " (their own, else the organisation's)"
    ),
}
LIST_PARAMS = [
    _query(
        "view",
        {"enum": list(VIEWS)},
        "A named view of the Tablero (default historial: every ticket you may see); "
        "vencidos: open tickets past a service-level due, en_riesgo: past a warning but not "
        "yet due (the desk's: for clients these read as historial)",
    ),
    _query(
        "status",
        {"type": "array", "items": {"enum": STATUSES}},
        "One or more statuses",
        explode=True,
    ),
    _query(
        "priority",
        {"type": "array", "items": {"enum": PRIORITIES}},
        "One or more priorities",
        explode=True,
    ),
    _query("type", text(40), "A ticket type key; enables cf.<field>"),
    _query("area", {"type": "integer", "minimum": 1, "maximum": MAX_INT}),
    _query(
        "assignee",
        {"type": "string", "pattern": "^(none|[1-9][0-9]{0,8})$"},
        "A collaborator's id, or none",
    ),
    _query("requester", {"type": "integer", "minimum": 1, "maximum": MAX_INT}),
    _query("channel", {"enum": [c.value for c in Channel]}),
    _query("created_from", DATE),
    _query("created_to", DATE),
    _query("updated_from", DATE),
    _query("updated_to", DATE),
    _query("overdue", {"enum": ["1"]}, "Waiting on the client"),
    _query(
        "sla_state",
        {"type": "array", "items": {"enum": list(SLA_STATES)}},
        "One or more service-level states, now (the desk's: ignored for clients)",
        explode=True,
    ),
    _query("rating", {"type": "integer", "minimum": 1, "maximum": 5}),
    _query("q", text(200), "Full-text search (accent-insensitive)"),
    _query(
        "sort",
        {
            "enum": [
                "-updated",
                "updated",
                "-created",
                "created",
                "-number",
                "number",
                "-priority",
                "priority",
                "due",
            ]
        },
        "due: next service-level due first, tickets without one last (the desk's: for "
        "clients it reads as -updated)",
    ),
    _query(
        "cursor",
        {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"},
        "next_cursor of the previous page",
    ),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size (25)"),
]


def etag(ticket: Ticket) -> str:
    """The ticket's version as an entity tag."""
    return f'"{ticket.number}-{ticket.version}"'


def with_etag(response: Response, ticket: Ticket) -> Response:
    """Attach the ETag of the ticket's current version."""
    response.headers["ETag"] = etag(ticket)
    return response


def require_match(ticket: Ticket, required: bool = True) -> None:
    """Optimistic locking: If-Match must name the version the client read."""
    given = request.headers.get("If-Match", "").strip()
    if not given:
        if required:
            raise ApiError(428)
        return
    if given not in ("*", etag(ticket), f"W/{etag(ticket)}"):
        raise ApiError(412)


def require_staff() -> None:
    """Refuse clients (403: they can see the ticket but may not do this)."""
    if not current_user.is_staff:
        raise ApiError(403)


def refused(exc: workflow.NotAllowed) -> ApiError:
    """A workflow refusal (not possible in this state) as a 409 with its own message."""
    return ApiError(409, exc.message)


def changed(
    number: int,
    change: Callable[[Ticket, dict[str, Any]], None],
    *,
    staff: bool = True,
    body: bool = False,
    if_match: bool | None = False,
) -> Response:
    """One change to a ticket: load what the user may see, check, change, commit, answer.

    ``if_match``: True requires the header, False honours it when sent, None ignores it.
    A workflow refusal is a 409 unless ``change`` says otherwise.
    """
    ticket = ticket_or_404(number)
    if staff:
        require_staff()
    payload = json_input() if body else {}
    if if_match is not None:
        require_match(ticket, required=if_match)
    try:
        change(ticket, payload)
    except workflow.NotAllowed as exc:
        raise refused(exc) from exc
    commit()
    return with_etag(jsonify(serialize.ticket(ticket)), ticket)


# ------------------------------------------------------------------ list and read


@operation(
    bp,
    "GET",
    "/tickets",
    summary="Tickets you may see, with the Tablero's filters",
    tag="tickets",
    query=LIST_PARAMS,
    description="Clients see only their own tickets. Custom-field filters "
    "(cf.<field>=value, cf.<field>.min/.max) apply once `type` is given.",
    responses={
        "200": ("A page of tickets", ref("TicketList")),
        "400": ("A filter value cannot be understood", ref("Problem")),
    },
)
def list_tickets() -> Response:
    """A page of tickets by keyset (cursor), filtered like the Tablero."""
    args = MultiDict(request.args)
    args.setdefault("view", "historial")
    limit = _limit(args.pop("limit", ""))
    cursor = args.pop("cursor", "")
    if cursor and row_id(cursor) is None:
        raise ApiError(400, _("cursor is not valid."))
    for key in ("after", "before", "last"):
        args.pop(key, None)
    f = parse(args)
    f.after = cursor
    found = listing(f, current_user, size=limit)
    keys = {t.id: t.key for t in found.choices["types"]}
    policies = policy_names(found.page.tickets) if current_user.is_staff else {}
    return jsonify(
        {
            "items": [serialize.summary(row, keys, policies) for row in found.page.tickets],
            "next_cursor": str(found.page.last_id) if found.page.has_next else None,
        }
    )


def _limit(raw: str) -> int:
    """The page size: 25 by default, at most API_PAGE_MAX."""
    if not raw:
        return 25
    ceiling = current_app.config["API_PAGE_MAX"]
    limit = whole_number(raw, ceiling)
    if limit is None:
        raise ApiError(400, _("limit must be a number from 1 to %(max)d.", max=ceiling))
    return limit


@operation(
    bp,
    "GET",
    "/tickets/<int:number>",
    summary="One ticket",
    tag="tickets",
    etag=True,
    responses={"200": ("The ticket", ref("Ticket"))},
)
def get_ticket(number: int) -> Response:
    """A ticket with its fields labelled by its own form version."""
    found = ticket_or_404(number)
    return with_etag(jsonify(serialize.ticket(found)), found)


# ------------------------------------------------------------------ create


NEW_TICKET_MULTIPART = {
    "type": "object",
    "required": ["ticket"],
    "properties": {
        "ticket": {**ref("NewTicket"), "description": "The NewTicket object, as a JSON part"},
        "attachments": {"type": "array", "items": {"type": "string", "format": "binary"}},
    },
    "patternProperties": {
        "^cf-[A-Za-z0-9_.-]{1,200}$": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
        }
    },
    "description": "Files for a file field go in parts named cf-<field> (as in the web form).",
}


@operation(
    bp,
    "POST",
    "/tickets",
    summary="File a ticket through its type's current form",
    tag="tickets",
    etag=True,
    body=json_body(ref("NewTicket"), NEW_TICKET_MULTIPART),
    description="Validated by the same forms engine as the web form; problems come "
    "back as 422 with one error per JSON pointer (/data/<field>, /subject…). "
    "Clients file for themselves; the desk files for a client "
    "(requester_id) and may record the channel.",
    responses={
        "201": ("The ticket was filed", ref("Ticket")),
        "400": ("The body is not a JSON object", ref("Problem")),
        "415": ("Neither JSON nor multipart", ref("Problem")),
        "422": ("Some values are not valid", ref("Problem")),
    },
)
def create() -> tuple[Response, int]:
    """File a ticket, exactly as the web form does (same checks, service and events)."""
    payload, files = _ticket_payload()
    ticket_type = _type_for_filing(payload.get("type"))
    requester, channel = _requester_and_channel(payload)
    subject, description = payload.get("subject", ""), payload.get("description", "")
    if not isinstance(subject, str) or not isinstance(description, str):
        raise ApiError(422, errors={"/subject": [_("Write a subject.")]})
    new = NewTicket(subject, description, payload.get("data", {}), files, channel, as_json=True)
    try:
        checked = check_new(ticket_type, new, str(get_locale()))
    except TicketInputError as exc:
        raise ApiError(422, errors=_pointers(exc.errors)) from exc
    ticket = file_ticket(current_user, requester, checked)
    # The answer is built from what the flush wrote, which is what the commit keeps: after
    # the commit every loaded row (ticket, type, version, area, the user) is expired and
    # would be read again, one statement each, to say the same thing.
    body, tag = serialize.ticket(ticket), etag(ticket)
    location = url_for("api.get_ticket", number=ticket.number)
    commit()
    response = jsonify(body)
    response.headers["ETag"] = tag
    response.headers["Location"] = location
    return response, 201


def _ticket_payload() -> tuple[dict[str, Any], MultiDict[str, Any]]:
    """The NewTicket object and any files (JSON body, or multipart with a ticket part)."""
    if request.mimetype == "multipart/form-data":
        contract.check_form()
        payload = json_object(
            request.form.get("ticket", ""), _("The ticket part must be a JSON object.")
        )
        contract.check_body(payload)
        return payload, request.files
    return json_input(), MultiDict()


def _type_for_filing(key: Any) -> TicketType:
    """The active type named in the payload, or a 422 problem."""
    found = filable_type(key)
    if found is None:
        raise ApiError(422, errors={"/type": [_("Choose an active ticket type.")]})
    return found


def _requester_and_channel(payload: dict[str, Any]) -> tuple[User, str]:
    """Clients file for themselves (channel api); the desk names an active client."""
    requester_id, channel = payload.get("requester_id"), payload.get("channel", Channel.API)
    if current_user.is_client:
        if requester_id not in (None, current_user.id) or channel != Channel.API:
            raise ApiError(403)
        return current_user, Channel.API
    if channel not in {c.value for c in Channel}:
        raise ApiError(422, errors={"/channel": [_("Choose a channel.")]})
    requester = db.session.get(User, requester_id) if is_row_id(requester_id) else None
    if requester is None:
        raise ApiError(422, errors={"/requester_id": [_("Give the id of the client.")]})
    if problem := requester_problem(current_user, requester):
        raise ApiError(422, errors={"/requester_id": [problem]})
    return requester, channel


def _pointers(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Key errors by pointers into the request: /data/<field> for custom fields."""
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        pointer = "/data" + key if key.startswith("/") else "/" + key
        out.setdefault(pointer, []).extend(str(m) for m in messages)
    return out


# ------------------------------------------------------------------ change


@operation(
    bp,
    "PATCH",
    "/tickets/<int:number>",
    etag=True,
    summary="Change custom fields, priority or area (desk; needs If-Match)",
    tag="tickets",
    body=json_body(ref("TicketChanges")),
    responses={
        "200": ("The changed ticket", ref("Ticket")),
        "412": ("The ticket changed since it was read", ref("Problem")),
        "422": ("Some values are not valid", ref("Problem")),
        "428": ("If-Match is missing", ref("Problem")),
    },
)
def patch(number: int) -> Response:
    """Edit a ticket under optimistic locking; fields validated by its own form version."""
    return changed(number, _apply_changes, body=True, if_match=True)


def _apply_changes(ticket: Ticket, changes: dict[str, Any]) -> None:
    """Apply the custom fields, priority and area of a PATCH (refusals are 422)."""
    unknown = set(changes) - {"data", "priority", "area_id"}
    if unknown:
        raise ApiError(422, errors={f"/{k}"[:100]: [_("Unknown property.")] for k in unknown})
    try:
        if "data" in changes:
            _edit_data(ticket, changes["data"])
        if "priority" in changes:
            workflow.set_priority(current_user, ticket, str(changes["priority"]))
        if "area_id" in changes:
            workflow.set_area(current_user, ticket, _area(changes["area_id"]))
    except workflow.NotAllowed as exc:
        raise ApiError(422, exc.message) from exc


def _edit_data(ticket: Ticket, data: Any) -> None:
    """Replace custom fields, validated against the ticket's own version (files kept)."""
    if not isinstance(data, dict):
        raise ApiError(422, errors={"/data": [_("data must be an object of custom fields.")]})
    form = compiled(ticket.type_version)
    values = keep_stored_files(form, ticket.data, form.normalize(data))
    errors = form.validate(values, str(get_locale()))
    if errors:
        raise ApiError(422, errors=_pointers(errors))
    workflow.edit_fields(current_user, ticket, form.prune(values))


def _area(raw: Any) -> Area | None:
    """The area named by id (null routes to no area)."""
    if raw is None:
        return None
    found = db.session.get(Area, raw) if is_row_id(raw) else None
    if found is None:
        raise ApiError(422, errors={"/area_id": [_("Choose an area.")]})
    return found


@operation(
    bp,
    "POST",
    "/tickets/<int:number>/status",
    etag=True,
    summary="Move a ticket to another status (desk); closing may carry a resolution",
    tag="workflow",
    body=json_body(ref("StatusChange")),
    responses={
        "200": ("The ticket", ref("Ticket")),
        "409": ("That transition is not possible now", ref("Problem")),
        "412": ("The ticket changed since it was read", ref("Problem")),
    },
)
def status(number: int) -> Response:
    """Change status through the workflow's transitions (If-Match honoured when sent)."""
    return changed(number, _move, body=True)


def _move(ticket: Ticket, body: dict[str, Any]) -> None:
    """Close (with a resolution) or change to another status."""
    wanted, resolution = body.get("status"), body.get("resolution", "")
    if wanted not in {s.value for s in Status} or not isinstance(resolution, str):
        raise ApiError(422, errors={"/status": [_("Choose a status.")]})
    if wanted == Status.CLOSED:
        workflow.close(current_user, ticket, resolution)
    else:
        workflow.change_status(current_user, ticket, wanted)


@operation(
    bp,
    "POST",
    "/tickets/<int:number>/reopen",
    etag=True,
    summary="Reopen a resolved or closed ticket (clients: their own, within REOPEN_DAYS)",
    tag="workflow",
    responses={
        "200": ("The ticket", ref("Ticket")),
        "409": ("The ticket cannot be reopened", ref("Problem")),
    },
)
def reopen(number: int) -> Response:
    """Reopen, under the same rule as the portal's button."""
    return changed(
        number,
        lambda ticket, _body: workflow.reopen(current_user, ticket),
        staff=False,
        if_match=None,
    )


@operation(
    bp,
    "POST",
    "/tickets/<int:number>/take",
    etag=True,
    summary="Take ownership (Tomar posesión): of two at once, one wins",
    tag="workflow",
    description="Taking a ticket someone else owns needs If-Match with the version "
    "you saw; otherwise 409 names the owner.",
    responses={
        "200": ("The ticket, now yours", ref("Ticket")),
        "409": ("Someone else owns it", ref("Problem")),
        "412": ("The ticket changed since it was read", ref("Problem")),
    },
)
def take(number: int) -> Response:
    """Take ownership with the web's conditional update."""
    return changed(number, _take)


def _take(ticket: Ticket, _body: dict[str, Any]) -> None:
    """Take it; taking it from its owner needs proof of having seen that owner (If-Match)."""
    seen = ticket.assignee_id
    if seen not in (None, current_user.id) and not request.headers.get("If-Match"):
        raise workflow.TakenBySomeoneElse(db.session.get(User, seen))
    workflow.take(current_user, ticket, seen)


@operation(
    bp,
    "POST",
    "/tickets/<int:number>/assign",
    etag=True,
    summary="Assign to a collaborator, or unassign with null (administrators)",
    tag="workflow",
    body=json_body(ref("Assignment")),
    responses={
        "200": ("The ticket", ref("Ticket")),
        "412": ("The ticket changed since it was read", ref("Problem")),
        "422": ("Not an active collaborator", ref("Problem")),
    },
)
def assign(number: int) -> Response:
    """Assign, as the web's administrator form does."""
    return changed(number, _assign, body=True)


def _assign(ticket: Ticket, body: dict[str, Any]) -> None:
    """Assign to the collaborator named by id, or unassign with null (administrators)."""
    if not current_user.is_admin:
        raise ApiError(403)
    raw = body.get("assignee_id")
    person = db.session.get(User, raw) if is_row_id(raw) else None
    if raw is not None and person is None:
        raise ApiError(
            422,
            errors={"/assignee_id": [_("Tickets can only be assigned to active collaborators.")]},
        )
    try:
        workflow.assign(current_user, ticket, person)
    except workflow.NotAllowed as exc:
        raise ApiError(422, errors={"/assignee_id": [str(exc.message)]}) from exc


# ------------------------------------------------------------------ conversation


@operation(
    bp,
    "GET",
    "/tickets/<int:number>/comments",
    tag="conversation",
    summary="The conversation (clients: public replies only)",
    responses={"200": ("The comments, oldest first", ref("CommentList"))},
)
def comments(number: int) -> Response:
    """Replies, and internal notes for the desk."""
    ticket = ticket_or_404(number)
    found = visible_comments(ticket, current_user)
    return jsonify({"items": [serialize.comment(c) for c in found]})


@operation(
    bp,
    "GET",
    "/tickets/<int:number>/history",
    tag="conversation",
    summary="The timeline: who changed what, from what to what, and when "
    "(clients: not the desk's internal entries)",
    responses={"200": ("The entries, oldest first", ref("History"))},
)
def history(number: int) -> Response:
    """The ticket's timeline as the desk's page shows it."""
    ticket = ticket_or_404(number)
    found = entries(ticket, current_user, str(get_locale()))
    return jsonify({"items": [serialize.history_entry(e) for e in found]})


@operation(
    bp,
    "POST",
    "/tickets/<int:number>/comments",
    tag="conversation",
    summary="Reply (clients, desk) or add an internal note (desk)",
    body=json_body(
        ref("NewComment"),
        {
            "type": "object",
            "required": ["body"],
            "properties": {
                "body": text(20000, minLength=1),
                "internal": {"enum": ["0", "1"]},
                "attachments": {"type": "array", "items": {"type": "string", "format": "binary"}},
            },
        },
    ),
    responses={
        "201": ("The comment", ref("Comment")),
        "409": ("The ticket does not take replies now", ref("Problem")),
        "422": ("Some values are not valid", ref("Problem")),
    },
)
def add_comment(number: int) -> tuple[Response, int]:
    """Add a reply or note through the workflow (mails as the web reply does)."""
    ticket = ticket_or_404(number)
    if request.mimetype == "multipart/form-data":
        contract.check_form()
        body, internal = request.form.get("body", ""), request.form.get("internal") == "1"
        files = request.files.getlist("attachments")
    else:
        payload = json_input()
        body, internal, files = payload.get("body", ""), payload.get("internal", False), []
    if not isinstance(body, str) or not body.strip() or not isinstance(internal, bool):
        raise ApiError(422, errors={"/body": [_("Write a message.")]})
    if internal and not current_user.is_staff:
        raise ApiError(403)
    try:
        comment = workflow.reply(current_user, ticket, body, internal, files=files)
    except workflow.BadUpload as exc:
        raise ApiError(422, errors={"/attachments": exc.problems}) from exc
    except workflow.NotAllowed as exc:
        raise refused(exc) from exc
    commit()
    return jsonify(serialize.comment(comment)), 201


@operation(
    bp,
    "GET",
    "/tickets/<int:number>/attachments",
    tag="attachments",
    summary="The ticket's files (clients: not those of internal notes)",
    responses={"200": ("The files", ref("AttachmentList"))},
)
def attachments(number: int) -> Response:
    """List the files this user may download."""
    ticket = ticket_or_404(number)
    found = visible_attachments(ticket, current_user)
    return jsonify({"items": [serialize.attachment(a) for a in found]})


@operation(
    bp,
    "POST",
    "/tickets/<int:number>/attachments",
    tag="attachments",
    summary="Upload files to a ticket (multipart, part name: file)",
    body=multipart_body(
        {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "internal": {"enum": ["0", "1"]},
            },
        }
    ),
    responses={
        "201": ("The stored files", ref("AttachmentList")),
        "415": ("Not multipart/form-data", ref("Problem")),
        "422": ("A file is refused (type, size, name)", ref("Problem")),
    },
)
def upload(number: int) -> tuple[Response, int]:
    """Store files under the same rules as the web's uploads."""
    ticket = ticket_or_404(number)
    if request.mimetype != "multipart/form-data":
        raise ApiError(415)
    contract.check_form()
    internal = request.form.get("internal") == "1"
    if internal and not current_user.is_staff:
        raise ApiError(403)
    try:
        stored = workflow.attach(current_user, ticket, request.files.getlist("file"), internal)
    except workflow.BadUpload as exc:
        raise ApiError(422, errors={"/file": exc.problems}) from exc
    except workflow.NotAllowed as exc:
        raise refused(exc) from exc
    commit()
    return jsonify({"items": [serialize.attachment(a) for a in stored]}), 201


@operation(
    bp,
    "GET",
    "/attachments/<int:attachment_id>",
    tag="attachments",
    summary="Download a file (always as an attachment)",
    responses={"200": ("The file's bytes", "binary")},
)
def download(attachment_id: int) -> Response:
    """Send a file the user may see, with the web's download headers."""

    return send_attachment(visible_attachment(attachment_id))


# ------------------------------------------------------------------ feedback


@operation(
    bp,
    "GET",
    "/tickets/<int:number>/feedback",
    tag="feedback",
    summary="The rating of the ticket's latest closure",
    responses={
        "200": ("The rating", ref("Feedback")),
        "404": ("Not rated (or no such ticket)", ref("Problem")),
    },
)
def get_feedback(number: int) -> Response:
    """The client's rating of the current closure."""
    ticket = ticket_or_404(number)
    found = db.session.scalar(
        select(Feedback).where(
            Feedback.ticket_id == ticket.id, Feedback.closure == ticket.closure_count
        )
    )
    if found is None:
        raise ApiError(404)
    return jsonify(serialize.feedback(found))


@operation(
    bp,
    "PUT",
    "/tickets/<int:number>/feedback",
    tag="feedback",
    summary="Rate a closed ticket (its requester; editable for FEEDBACK_EDIT_HOURS)",
    body=json_body(ref("FeedbackInput")),
    responses={
        "200": ("The rating", ref("Feedback")),
        "409": ("The ticket cannot be rated now", ref("Problem")),
        "422": ("Some values are not valid", ref("Problem")),
    },
)
def put_feedback(number: int) -> Response:
    """Rate the service through the workflow's rule."""
    ticket = ticket_or_404(number)
    body = json_input()
    if current_user.is_staff:
        raise ApiError(403)
    rating, comment = body.get("rating"), body.get("comment", "")
    if (
        not isinstance(rating, int)
        or isinstance(rating, bool)
        or not 1 <= rating <= 5
        or not isinstance(comment, str)
        or len(comment) > 2000
    ):
        raise ApiError(422, errors={"/rating": [_("Choose a rating from 1 to 5.")]})
    try:
        found = workflow.leave_feedback(current_user, ticket, rating, comment)
    except workflow.NotAllowed as exc:
        raise refused(exc) from exc
    commit()
    return jsonify(serialize.feedback(found))
