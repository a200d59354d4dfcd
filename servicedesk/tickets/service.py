"""Ticket services: file a ticket through its type's current form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import Table, case, func, select, update
from sqlalchemy.exc import IntegrityError

from forms_engine import CompiledForm

from ..catalog.versions import compiled, current_version
from ..extensions import db
from ..models import (
    Attachment,
    Channel,
    HeldUpload,
    Status,
    Ticket,
    TicketEvent,
    TicketNumber,
    TicketType,
    TicketTypeVersion,
    User,
)
from ..notifications import fanout
from ..sla import service as sla
from ..zones import organisation_zone, zone_of
from . import held as held_files
from .attachments import check_upload, check_uploads, record_attachment, store_file


class TicketInputError(ValueError):
    """The submitted ticket has problems; errors are keyed by field (pointer or name).

    ``values`` are the answers as understood, so the form can be shown again with them.
    """

    def __init__(self, errors: dict[str, list[str]], values: dict[str, Any] | None = None):
        super().__init__("invalid ticket")
        self.errors = errors
        self.values = values or {}


@dataclass
class NewTicket:
    """What a person submitted to file a ticket, as plain values (no request object).

    ``answers`` are the custom fields: the form's fields as posted (a multidict of
    ``cf-…`` keys, from the web form) or, with ``as_json``, a JSON object (the API), which
    is validated as sent and then stored as the web form would store the same values.
    ``files`` holds the uploads by part name: ``cf-<field>`` for file fields and
    ``attachments`` for the extra files, the same names on the web and in the API.
    ``held`` are the tokens of files kept from a refused try of the same form
    (tickets/held.py), filed as extra files when they are the submitter's own. On the web
    form a file field's own values are such tokens too (its ticked "already attached"
    files); references are never taken from a form or a body.
    """

    subject: str
    description: str
    answers: Any
    files: Any = None
    channel: str = Channel.PORTAL
    as_json: bool = False
    held: Sequence[str] = ()
    # The area it goes to, when not the type's (an e-mail to an area's own address).
    area_id: int | None = None
    # Filed even when required custom fields are missing, flagged incomplete (e-mail: a
    # message cannot fill the form; a collaborator completes it).
    incomplete_ok: bool = False


@dataclass
class Checked:
    """A submission checked against its type's current form, ready to be filed."""

    ticket_type: TicketType
    version: TicketTypeVersion
    new: NewTicket
    data: dict[str, Any]
    uploads: dict[str, list[Any]]
    attachments: list[Any]
    held: list[HeldUpload] = dataclass_field(default_factory=list)
    # Held files filed into a file field, by its pointer.
    held_fields: dict[str, list[HeldUpload]] = dataclass_field(default_factory=dict)
    # Required custom fields are missing (only when the submission allowed it).
    incomplete: bool = False


@dataclass
class Kept:
    """The files of a refused submission, held for the form shown again.

    ``attachments``: the extra files; ``fields``: each file field's, by the field's name.
    """

    attachments: list[HeldUpload]
    fields: dict[str, list[HeldUpload]]


@dataclass(frozen=True)
class _HeldPart:
    """A held file as the forms engine reads an upload: its name, type and size."""

    row: HeldUpload

    @property
    def filename(self) -> str:
        """The file's name, as the upload was named."""
        return self.row.filename

    @property
    def mimetype(self) -> str:
        """The type the upload rules chose for the file."""
        return self.row.content_type

    @property
    def content_length(self) -> int:
        """The size of the stored file."""
        return self.row.size


def form_for(ticket_type: TicketType) -> tuple[TicketTypeVersion, CompiledForm]:
    """Return the current version of a type and its compiled form."""
    version = current_version(ticket_type)
    if version is None:
        raise LookupError(ticket_type.key)
    return version, compiled(version)


def check_new(
    ticket_type: TicketType, new: NewTicket, locale: str, actor: User | None = None
) -> Checked:
    """Validate a submission through its type's current form; raise TicketInputError.

    The actor's held files named by ``new.held`` count among the extra files.
    """
    version, form = form_for(ticket_type)
    tokens: dict[str, list[str]] = {}
    if new.as_json:
        # ISO dates and date-times with their offsets; no held tokens, no stored files.
        values, errors = _json_answers(form, new.answers)
    else:
        # Dates as the page's language writes them, date-times in the zone of whoever typed
        # them (the desk's, when it files for a client).
        zone = None
        if _has_date_times(form):  # the organisation's zone is a query: only when it is read
            zone = zone_of(actor) if actor is not None else organisation_zone()
        values, errors = form.parse(new.answers, locale=locale, zone=zone), {}
        tokens = _field_tokens(form, values)
        values = keep_stored_files(form, None, values)
    uploads = form.uploads(new.files, values=values)
    # The file fields' held files pass through the engine as uploads would: only those of
    # fields shown, checked against each field's types and size.
    claimed = {
        f"cf-{name}": [_HeldPart(row) for row in held_files.claim(actor, wanted)]
        for name, wanted in tokens.items()
    }
    held_parts = form.uploads(claimed, values=values)
    errors.update(_problems(form, new, values, uploads, held_parts, locale))
    for pointer, problems in form.file_errors(claimed, locale=locale, values=values).items():
        errors.setdefault(pointer, []).extend(problems)
    kept = held_files.claim(actor, new.held)
    attachments = [f for f in _getlist(new.files, "attachments") if f.filename]
    if problems := check_uploads(attachments, held=len(kept)):
        errors["attachments"] = problems
    incomplete = False
    if new.incomplete_ok and (fields := set(errors) - _OWN_PARTS):
        # Only the custom fields may be left for later; the rest must be right.
        incomplete = True
        errors = {key: problems for key, problems in errors.items() if key not in fields}
    if errors:
        raise TicketInputError(errors, values)
    # The web form's round trip puts JSON answers in the form's order: stored, indexed and
    # mailed exactly as a web submission of the same values.
    data = form.parse(form.to_form_data(values)) if new.as_json else values
    held_fields = {ptr: [part.row for part in parts] for ptr, parts in held_parts.items()}
    return Checked(
        ticket_type, version, new, data, uploads, attachments, kept, held_fields, incomplete
    )


# The parts of a submission that are not custom fields (errors are keyed so).
_OWN_PARTS = {"subject", "description", "attachments"}


def file_ticket(actor: User, requester: User, checked: Checked) -> Ticket:
    """File a checked submission for its requester, with its files (nothing committed)."""
    ticket = create_ticket(actor, requester, checked)
    for kept in checked.held:
        held_files.attach(ticket, actor, kept)
    for upload in checked.attachments:
        store_attachment(ticket, actor, upload)
    return ticket


def hold_refused(actor: User, ticket_type: TicketType, new: NewTicket, locale: str) -> Kept:
    """Keep the files of a refused submission for the form shown again, part by part.

    A file field keeps the files still held for it and the new ones that pass its own rules
    (types, size) as well as the upload rules; a field the answers hide keeps none.
    """
    extra = held_files.keep(actor, _getlist(new.files, "attachments"), new.held)
    if new.as_json:
        return Kept(extra, {})
    form = form_for(ticket_type)[1]
    values = form.parse(new.answers, locale=locale, zone=zone_of(actor))
    tokens = _field_tokens(form, values)
    values = keep_stored_files(form, None, values)
    fields: dict[str, list[HeldUpload]] = {}
    for name in _file_fields(form):
        part = f"cf-{name}"
        if not form.uploads({part: [_Shown()]}, values=values):
            continue
        fitting = [
            upload
            for upload in _getlist(new.files, part)
            if upload.filename and not form.file_errors({part: [upload]}, locale=locale)
        ]
        if found := held_files.keep(actor, fitting, tokens.get(name, [])):
            fields[name] = found
    return Kept(extra, fields)


def requester_problem(actor: User, requester: User | None) -> str | None:
    """Why this person cannot be the requester of a ticket the actor files, if so.

    Clients file for themselves; the desk files for an active client.
    """
    if actor.is_client:
        return None if requester is actor else _("Clients file tickets for themselves.")
    if requester is None or not requester.is_client:
        return _("The desk files tickets for a client, not for a member of the desk.")
    if not requester.active:
        return _("This client's account is deactivated.")
    return None


def _json_answers(form: CompiledForm, answers: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """JSON custom-field values as understood, and a problem with their shape."""
    if not isinstance(answers, dict):
        return {}, {"data": [_("data must be an object of custom fields.")]}
    # Files come only as uploads: references typed into a file field are not taken.
    return form.normalize(keep_stored_files(form, None, answers)), {}


def _getlist(files: Any, name: str) -> list[Any]:
    """The uploads sent under one part name."""
    return list(files.getlist(name)) if files is not None else []


def _has_date_times(form: CompiledForm) -> bool:
    """Whether a form has a date-time field, the only answers read in a zone."""
    return any(f.format == "date-time" for f in form.describe())


def _file_fields(form: CompiledForm) -> list[str]:
    """The names of the file fields a form uploads to (those at the top level)."""
    return [f.name for f in form.describe() if f.type == "file" and f.path.count("/") == 1]


def _field_tokens(form: CompiledForm, values: dict[str, Any]) -> dict[str, list[str]]:
    """The held-file tokens a web form's file fields carry, by field name."""
    return {
        name: [str(token) for token in values[name]]
        for name in _file_fields(form)
        if isinstance(values.get(name), list)
    }


class _Shown:
    """A stand-in upload, to ask the engine whether a file field is shown."""

    filename = "?"


def _problems(
    form: CompiledForm,
    new: NewTicket,
    values: dict[str, Any],
    uploads: dict[str, list[Any]],
    held: dict[str, list[Any]],
    locale: str,
) -> dict[str, list[str]]:
    """Subject, description, custom fields and uploads (``held`` counted) checked, by field."""
    errors: dict[str, list[str]] = {}
    if not new.subject.strip():
        errors["subject"] = [_("Write a subject.")]
    elif len(new.subject) > 200:
        errors["subject"] = [_("Use at most 200 characters.")]
    if len(new.description) > 20000:
        errors["description"] = [_("Use at most 20000 characters.")]
    # Uploaded files stand in as placeholders so required/maxItems are checked too.
    counts = {ptr: len(uploads.get(ptr, [])) + len(held.get(ptr, [])) for ptr in {*uploads, *held}}
    typed = not new.as_json  # a person's form: bad dates are explained in its pattern
    errors.update(form.validate(_with_placeholders(values, counts), locale, typed=typed))
    for pointer, problems in form.file_errors(new.files, locale=locale, values=values).items():
        errors.setdefault(pointer, []).extend(problems)
    for pointer, files in uploads.items():
        if problems := check_uploads(files, held=len(held.get(pointer, []))):
            errors.setdefault(pointer, []).extend(problems)
    return errors


def _with_placeholders(data: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """Put one placeholder reference per file (uploaded or held) into a copy of the data."""
    result = dict(data)
    for pointer, count in counts.items():
        key = pointer.strip("/")
        if "/" not in key:
            result[key] = [f"upload-{i}" for i in range(count)]
    return result


def keep_stored_files(
    form: CompiledForm, stored: dict[str, Any] | None, values: dict[str, Any]
) -> dict[str, Any]:
    """Answers with the file fields as stored, whatever was sent for them.

    Files are attachments, added only by upload: a reference typed into a file field (an id
    of someone else's attachment, say) is never taken from a form or a request body.
    """
    result = dict(values)
    for field in form.describe():
        if field.type != "file" or field.path.count("/") != 1:
            continue
        result.pop(field.name, None)
        if field.name in (stored or {}):
            result[field.name] = (stored or {})[field.name]
    return result


def next_number() -> int:
    """Return the next human-friendly ticket number (by the highest one filed)."""
    return (db.session.scalar(select(func.max(Ticket.number))) or 0) + 1


NUMBER_ATTEMPTS = 20

_COUNTER = cast(Table, TicketNumber.__table__)
_HIGHEST = select(func.coalesce(func.max(Ticket.number), 0)).scalar_subquery()
# The counter's next number, never below the highest filed: tickets written without it
# (demo data, the benchmark's loader, test factories) are counted too. The subquery may
# miss a filing that committed while this one waited for the row's lock (PostgreSQL reads
# it from the statement's snapshot), but that filing raised the counter, which is read
# after the wait.
_TAKE_NUMBER = (
    update(_COUNTER)
    .where(_COUNTER.c.id == 1)
    .values(
        last_number=case(
            (_COUNTER.c.last_number >= _HIGHEST, _COUNTER.c.last_number), else_=_HIGHEST
        )
        + 1
    )
    .returning(_COUNTER.c.last_number)
)

_TAKE_NUMBER_IN_INSERT = func.take_ticket_number()


def _insert_with_number(ticket: Ticket) -> None:
    """Insert a ticket with the next free number, even when others are filing at once.

    The number comes from the ticket_numbers row, updated in one statement (it used to be
    max(number), a savepoint and its release around the insert: three round trips). Its
    lock lasts until the filing commits, so simultaneous filings take turns for the number
    (they did before too, waiting on the unique index for each other's commit), and a
    filing that rolls back gives its number back.

    On PostgreSQL the UPDATE runs inside the INSERT (migration 0026's function), which
    also puts a missing row back. Without the row on SQLite (emptied by hand) the old way
    stands: two requests can read the same max(number); the unique index refuses the
    second insert, which then retries inside a savepoint with a fresh max (committed rows
    are visible to each new statement), so nobody loses their ticket.
    """
    if db.engine.dialect.name == "postgresql":
        # The same UPDATE in a function the INSERT calls (migration 0026): one round trip
        # for the number and the row; the number comes back by RETURNING with the id.
        ticket.number = cast(int, _TAKE_NUMBER_IN_INSERT)  # a SQL expression, run by the INSERT
        db.session.add(ticket)
        db.session.flush()
        return
    number = db.session.execute(_TAKE_NUMBER).scalar()
    if number is not None:
        ticket.number = number
        db.session.add(ticket)
        db.session.flush()
        return
    for _attempt in range(NUMBER_ATTEMPTS):
        ticket.number = next_number()
        try:
            with db.session.begin_nested():
                db.session.add(ticket)
                db.session.flush()
            return
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a ticket number")


def create_ticket(actor: User, requester: User, checked: Checked) -> Ticket:
    """Insert a checked ticket, store its field uploads and record the event."""
    ticket_type, new = checked.ticket_type, checked.new
    ticket = Ticket(
        ticket_type_id=ticket_type.id,
        type_version_id=checked.version.id,
        subject=new.subject.strip(),
        description=new.description.strip(),
        data=checked.data,
        status=Status.NEW,
        priority=ticket_type.default_priority,
        channel=new.channel,
        requester_id=requester.id,
        # The object too: the search index and the notices read its name without a query.
        requester=requester,
        area_id=new.area_id or ticket_type.default_area_id,
        created_by_id=actor.id,
        incomplete=checked.incomplete,
    )
    policy = sla.start(ticket)
    # The event rides on the ticket's flush (by the relationship: it needs the ticket's id),
    # in one INSERT with the "targeted" one: both set the same columns (sla.service._event).
    TicketEvent(
        ticket=ticket,
        actor_id=actor.id,
        kind="created",
        data={"channel": str(new.channel)},
        internal=False,
    )
    if policy is not None:
        sla.noted(ticket, actor, "targeted", policy=policy)
    _insert_with_number(ticket)
    data = dict(checked.data)
    for pointer in {*checked.held_fields, *checked.uploads}:
        # A held file another submit of the same form filed already is not filed twice.
        taken = [held_files.attach(ticket, actor, h) for h in checked.held_fields.get(pointer, [])]
        stored = [store_attachment(ticket, actor, f) for f in checked.uploads.get(pointer, [])]
        if ids := [str(a.id) for a in (*taken, *stored) if a is not None]:
            data[pointer.strip("/")] = ids
    if data != checked.data:  # the field uploads' ids: the ticket is written again
        ticket.data = data
        db.session.flush()
    # The area's e-mails are written after the commit, not in the filing (notifications.fanout).
    fanout.announce("new_ticket", ticket, actor)
    return ticket


def store_attachment(
    ticket: Ticket, actor: User, upload: Any, internal: bool = False, comment_id: int | None = None
) -> Attachment:
    """Save a checked upload under a random name and record it on the ticket."""
    filename, kind = check_upload(upload)
    stored = store_file(upload.stream, kind)
    return record_attachment(ticket, actor.id, filename, kind, stored, internal, comment_id)
