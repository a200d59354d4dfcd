"""One pipeline for inbound e-mail: a raw RFC 5322 message in, a ticket or a comment out.

`flask mail-in` (a message piped by the MTA) and the IMAP fetcher both call ``handle``. It
records the message's Message-ID first (unique: a second copy, piped or fetched again,
even at the same moment, does nothing), then decides, in this order: too large; not a
message; our own mail coming back; a bounce (marked on the outbox row it returns); an
automatic reply (dropped); a reply to a ticket (by In-Reply-To/References against the
Message-IDs the outbox sent and the messages filed, then by a ``[#123]`` tag in the
subject), written only by someone the visibility rule lets see that ticket; else a new
ticket, for a known client, a new client account or nobody (MAIL_IN_UNKNOWN_SENDERS), at
most MAIL_IN_TICKETS_PER_HOUR per sender. Filing, replies and notes go through the same
services as the web (tickets.service, tickets.workflow) and the same upload rules; the
original message is kept on the ticket as an internal .eml file for the desk. Nothing is
acknowledged to machine-sent, bulk or list mail. ``handle`` flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.datastructures import FileStorage, MultiDict

from ..catalog.versions import filable_type, filable_types
from ..emails import normalise_email
from ..extensions import db
from ..models import (
    Channel,
    InboundMessage,
    OutboxMessage,
    OutboxStatus,
    Role,
    Ticket,
    TicketType,
    User,
    utcnow,
)
from ..notifications import events, outbox
from ..storage import save as save_file
from ..tickets import workflow
from ..tickets.attachments import (
    UNCOMMITTED_FILES,
    StoredFile,
    UploadError,
    check_upload,
    record_attachment,
)
from ..tickets.service import NewTicket, TicketInputError, check_new, file_ticket
from ..tickets.visibility import visible_tickets
from . import parse

log = logging.getLogger(__name__)

TAG = re.compile(r"\[#(\d{1,18})\]")
# "Re:", "RE:", "Fwd:", "RV:", "Antw:" … at the start of a subject, any number of them.
REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|rv|reenv|antw|aw|sv|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
SUBJECT_MAX = 200
DESCRIPTION_MAX = 20000
# A refusal is answered once a day per address at most: no backscatter storm.
REFUSAL_REPLY_EVERY = timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    """What became of one message.

    ``action``: created | replied | ignored | rejected; ``ticket``: the ticket's number;
    ``reason``: short and machine-readable ("new", "in-reply-to", "subject-tag",
    "duplicate", "auto-reply", "bounce", "own-message", "too-large", "malformed",
    "unknown-sender-refused", "not-allowed", "rate-limited", …; docs/deployment.md).
    """

    action: str
    ticket: int | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        """The JSON line `flask mail-in` prints."""
        return {"action": self.action, "ticket": self.ticket, "reason": self.reason}


def _created(ticket: Ticket, reason: str = "new") -> Outcome:
    return Outcome("created", ticket.number, reason)


def _replied(ticket: Ticket, reason: str) -> Outcome:
    return Outcome("replied", ticket.number, reason)


def _ignored(reason: str, ticket: Ticket | None = None) -> Outcome:
    return Outcome("ignored", ticket.number if ticket else None, reason)


def _rejected(reason: str, ticket: Ticket | None = None) -> Outcome:
    return Outcome("rejected", ticket.number if ticket else None, reason)


@dataclass
class _Mail:
    """The message being handled and what the pipeline learnt of it."""

    raw: bytes
    message: EmailMessage
    message_id: str
    name: str
    address: str
    subject: str
    mailbox: str | None
    area_id: int | None
    type_key: str | None


def handle(
    raw: bytes,
    *,
    area_id: int | None = None,
    type_key: str | None = None,
    mailbox: str | None = None,
    size: int | None = None,
) -> Outcome:
    """Handle one message (flushed, not committed: the caller commits once per message).

    ``size``: set by a reader that fetched only the header of a message over the limit
    (``raw`` is that header); the message is recorded and refused as too large.
    Never raises for a bad message: a message that breaks the pipeline is rejected with
    reason "error", logged with its traceback, and the next one is handled as usual.
    """
    message_id = parse.message_id(raw)
    row = _claim(message_id, mailbox)
    if row is None:
        log.info("mail-in %s: ignored, duplicate", message_id)
        return _ignored("duplicate")
    ticket: Ticket | None = None
    try:
        with db.session.begin_nested():
            outcome, ticket, row.sender = _process(
                raw, message_id, mailbox, area_id, type_key, size
            )
    except Exception:  # noqa: BLE001 - one bad message must never stop the next
        log.exception("mail-in %s: could not be handled", message_id)
        outcome, ticket = _rejected("error"), None
    row.action, row.reason = outcome.action, outcome.reason
    row.ticket_id = ticket.id if ticket is not None else None
    db.session.flush()
    level = logging.WARNING if outcome.action == "rejected" else logging.INFO
    log.log(
        level, "mail-in %s from %s: %s, %s", message_id, row.sender, outcome.action, outcome.reason
    )
    return outcome


def _claim(message_id: str, mailbox: str | None) -> InboundMessage | None:
    """Record the Message-ID as being handled; None when it was handled (or is) already.

    The unique index decides between two copies at once: the second INSERT waits for the
    first's commit and then inserts nothing (ON CONFLICT DO NOTHING, on PostgreSQL and
    SQLite alike). No savepoint: on SQLite a savepoint opened outside a transaction would
    commit on release, and the INSERT must be what begins the transaction (and takes the
    write lock) so that the rest of the message is handled under it.
    """
    table = cast(Table, InboundMessage.__table__)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    row_id = db.session.execute(
        insert(table)
        .values(
            message_id=message_id,
            mailbox=(mailbox or "")[:120] or None,
            action="pending",
            reason="",
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(table.c.id)
    ).scalar()
    return None if row_id is None else db.session.get(InboundMessage, row_id)


def over_limit(size: int) -> bool:
    """Whether a message of this many bytes is larger than MAIL_IN_MAX_MB allows."""
    return size > current_app.config["MAIL_IN_MAX_MB"] * 1024 * 1024


def _process(
    raw: bytes,
    message_id: str,
    mailbox: str | None,
    area_id: int | None,
    type_key: str | None,
    size: int | None = None,
) -> tuple[Outcome, Ticket | None, str | None]:
    """Decide what the message is and act; (outcome, ticket, sender's address)."""
    if size is not None and not over_limit(size):
        raise ValueError("only the header of a message over the limit comes with its size")
    if over_limit(len(raw) if size is None else size):
        return _rejected("too-large"), None, parse.header_sender(raw)
    try:
        message = parse.read(raw)
    except parse.Unreadable:
        return _rejected("malformed"), None, None
    who = parse.sender(message)
    if _is_own(message, message_id):
        return _ignored("own-message"), None, who[1] if who else None
    if parse.is_bounce(message, who[1] if who else None):
        ticket = _bounced(message)
        return _ignored("bounce", ticket), ticket, who[1] if who else None
    if who is None:
        return _rejected("malformed"), None, None
    name, address = who
    if parse.is_auto_reply(message):
        return _ignored("auto-reply"), None, address
    subject = parse.header(message, "Subject")
    mail = _Mail(raw, message, message_id, name, address, subject, mailbox, area_id, type_key)
    outcome, ticket = _route(mail)
    return outcome, ticket, address


def _is_own(message: EmailMessage, message_id: str) -> bool:
    """Our own outgoing mail come back (a loop through an alias or a forward)."""
    own = normalise_email(parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1])
    if any(address == own for _name, address in parse.addresses(message, "From", valid=False)):
        return True
    return (
        db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_id == message_id))
        is not None
    )


def _bounced(message: EmailMessage) -> Ticket | None:
    """Mark the outbox messages a bounce returns as failed ("bounced: …"); their ticket."""
    details = parse.bounce_details(message)
    if not details.message_ids:
        return None
    rows = list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.message_id.in_(details.message_ids))
        )
    )
    ticket = None
    for row in rows:
        row.status = OutboxStatus.FAILED
        row.last_error = f"bounced: {details.status}".strip()[:1000]
        found = db.session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
        if found is not None:
            # The desk learns that this person did not get the mail (a wrong address).
            workflow.system_note(
                found,
                _(
                    "The e-mail to %(address)s could not be delivered (%(reason)s).",
                    address=row.recipient,
                    reason=details.status or _("returned by the mail server"),
                ),
            )
            ticket = ticket or found
    db.session.flush()
    return ticket


# ---------------------------------------------------------------- routing


def _route(mail: _Mail) -> tuple[Outcome, Ticket | None]:
    """A reply to a ticket the sender may write on, else a new ticket (if they may file)."""
    user = db.session.scalar(select(User).where(User.email == mail.address))
    ticket, how = _thread(mail)
    if ticket is not None:
        if user is None or not _may_see(user, ticket):
            # Never into a ticket the sender cannot see; not a new ticket either: it names
            # someone else's conversation (docs/deployment.md).
            return _rejected("not-allowed"), None
        return _reply(mail, user, ticket, how)
    if user is not None and not user.active:
        return _rejected("inactive-sender"), None
    if user is not None and not user.is_client:
        # The desk files for clients on the web (a forward would file it for the forwarder).
        return _rejected("staff-sender"), None
    if user is None:
        refused = _unknown_sender(mail)
        if refused is not None:
            return refused, None
    if _filed_last_hour(mail.address) >= current_app.config["MAIL_IN_TICKETS_PER_HOUR"]:
        return _rejected("rate-limited"), None
    if user is None:
        user = _new_client(mail)
    return _file(mail, user)


def _thread(mail: _Mail) -> tuple[Ticket | None, str]:
    """The ticket this message answers, and how it was found ('' when none)."""
    ids = parse.thread_ids(mail.message)
    if ids:
        ticket_id = db.session.scalar(
            select(OutboxMessage.ticket_id)
            .where(OutboxMessage.message_id.in_(ids), OutboxMessage.ticket_id.is_not(None))
            .limit(1)
        ) or db.session.scalar(
            select(InboundMessage.ticket_id)
            .where(InboundMessage.message_id.in_(ids), InboundMessage.ticket_id.is_not(None))
            .limit(1)
        )
        if ticket_id is not None:
            return db.session.get(Ticket, ticket_id), "in-reply-to"
    if tag := TAG.search(mail.subject):
        number = int(tag.group(1))
        found = db.session.scalar(select(Ticket).where(Ticket.number == number))
        if found is not None:
            return found, "subject-tag"
    return None, ""


def _may_see(user: User, ticket: Ticket) -> bool:
    """The one visibility rule, as on the web."""
    query = visible_tickets(user).where(Ticket.id == ticket.id).with_only_columns(Ticket.id)
    return db.session.scalar(query) is not None


def _is_note(mail: _Mail) -> bool:
    """Sent to a desk address with the note suffix (soporte+nota@…): an internal note."""
    tag = "+" + current_app.config["MAIL_IN_NOTE_TAG"]
    headers = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
    return any(
        parse.local_part(address).endswith(tag)
        for _name, address in parse.addresses(mail.message, *headers, valid=False)
    )


# ---------------------------------------------------------------- who


def _unknown_sender(mail: _Mail) -> Outcome | None:
    """None when an account may be made for this address; else the refusal."""
    policy = current_app.config["MAIL_IN_UNKNOWN_SENDERS"]
    domain = mail.address.rpartition("@")[2]
    if policy == "create" or (
        policy == "domains" and domain in current_app.config["MAIL_IN_DOMAINS"]
    ):
        return None
    if parse.quiet_reason(mail.message) is None and not _refused_lately(mail.address):
        outbox.enqueue_to_address(
            "mail_refused",
            outbox.Stranger(
                email=mail.address,
                name=mail.name or mail.address,
                language=current_app.config["BABEL_DEFAULT_LOCALE"],
            ),
            subject=_l("Your message was not filed"),
            original_subject=_one_line(mail.subject)[:SUBJECT_MAX] or "—",
        )
    return _rejected("unknown-sender-refused")


def _refused_lately(address: str) -> bool:
    """This address was refused (and so answered) within the last day."""
    since = utcnow() - REFUSAL_REPLY_EVERY
    return (
        db.session.scalar(
            select(InboundMessage.id)
            .where(
                InboundMessage.sender == address,
                InboundMessage.reason == "unknown-sender-refused",
                InboundMessage.received_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def _filed_last_hour(address: str) -> int:
    """How many tickets this address filed by e-mail in the last hour."""
    since = utcnow() - timedelta(hours=1)
    return int(
        db.session.scalar(
            select(func.count(InboundMessage.id)).where(
                InboundMessage.sender == address,
                InboundMessage.action == "created",
                InboundMessage.received_at >= since,
            )
        )
        or 0
    )


def _new_client(mail: _Mail) -> User:
    """A client account for an address nobody has (no password: they follow by e-mail)."""
    name = _one_line(mail.name)[:120] or mail.address.partition("@")[0][:120]
    user = User(
        name=name,
        email=mail.address,
        role=Role.CLIENT,
        language=current_app.config["BABEL_DEFAULT_LOCALE"],
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


# ---------------------------------------------------------------- filing and replying


def _ticket_type(mail: _Mail) -> TicketType | None:
    """The mailbox's type, else MAIL_IN_TYPE, else the first type that takes tickets."""
    key = mail.type_key or current_app.config["MAIL_IN_TYPE"]
    if key:
        return filable_type(key)
    types = filable_types()
    return types[0] if types else None


def _file(mail: _Mail, user: User) -> tuple[Outcome, Ticket | None]:
    """A new ticket through the ticket service, filed even with required fields missing."""
    ticket_type = _ticket_type(mail)
    if ticket_type is None:
        return _rejected("no-type"), None
    content = parse.body(mail.message)
    accepted, refused = _sorted_files(content.files)
    subject = _one_line(TAG.sub("", REPLY_PREFIX.sub("", mail.subject)))
    new = NewTicket(
        subject=subject[:SUBJECT_MAX] or _("(no subject)"),
        description=_fit(content.text),
        answers=MultiDict(),
        files=MultiDict([("attachments", f) for f in accepted]),
        channel=Channel.EMAIL,
        area_id=mail.area_id,
        incomplete_ok=True,
    )
    try:
        checked = check_new(ticket_type, new, user.language, user)
    except TicketInputError as exc:
        log.warning("mail-in %s: refused by the form: %s", mail.message_id, exc.errors)
        return _rejected("malformed"), None
    ticket = file_ticket(user, user, checked)
    _keep_original(mail, ticket, user, refused)
    if parse.quiet_reason(mail.message) is None:
        events.received(ticket)
        return _created(ticket), ticket
    return _created(ticket, "no-acknowledgement"), ticket


def _reply(mail: _Mail, user: User, ticket: Ticket, how: str) -> tuple[Outcome, Ticket | None]:
    """A public reply (or, from the desk to its note address, an internal note)."""
    internal = user.is_staff and _is_note(mail)
    if user.is_client and not ticket.is_open:
        try:
            workflow.reopen(user, ticket)
        except workflow.NotAllowed:
            # Closed too long ago to reopen: the client's words start a new ticket.
            outcome, new_ticket = _file(mail, user)
            if new_ticket is not None:
                workflow.system_note(
                    new_ticket,
                    _(
                        "Sent by e-mail as a reply to ticket #%(number)d, closed.",
                        number=ticket.number,
                    ),
                )
                return Outcome(outcome.action, outcome.ticket, "follow-up"), new_ticket
            return outcome, None
    content = parse.body(mail.message)
    accepted, refused = _sorted_files(content.files)
    text = _fit(content.text)
    try:
        if text:
            workflow.reply(user, ticket, text, internal=internal, files=accepted)
        elif accepted:
            workflow.attach(user, ticket, accepted, internal=internal)
        elif not refused:
            return _ignored("empty", ticket), ticket
    except workflow.NotAllowed as exc:
        log.warning("mail-in %s: %s", mail.message_id, exc.message)
        return _rejected("not-allowed", ticket), ticket
    _keep_original(mail, ticket, user, refused)
    return _replied(ticket, "note" if internal else how), ticket


def _sorted_files(files: list[FileStorage]) -> tuple[list[FileStorage], list[str]]:
    """The files the upload rules accept (at most MAX_ATTACHMENTS), and why the others not."""
    limit = current_app.config["MAX_ATTACHMENTS"]
    accepted: list[FileStorage] = []
    refused: list[str] = []
    for upload in files:
        try:
            name, _kind = check_upload(upload)
        except UploadError as exc:
            refused.append(str(exc))
            continue
        if len(accepted) >= limit:
            refused.append(_("%(name)s: more than %(n)d files in one message.", name=name, n=limit))
            continue
        accepted.append(upload)
    return accepted, refused


def _keep_original(mail: _Mail, ticket: Ticket, user: User, refused: list[str]) -> None:
    """The whole message as an internal .eml file, and a note naming the files refused."""
    digest = hashlib.sha256(mail.raw).hexdigest()
    name, size, _digest = save_file(io.BytesIO(mail.raw))
    db.session.info.setdefault(UNCOMMITTED_FILES, []).append(name)
    stored = StoredFile(name, size, digest)
    filename = f"correo-{ticket.number}-{digest[:8]}.eml"
    record_attachment(ticket, user.id, filename, "message/rfc822", stored, internal=True)
    if refused:
        workflow.system_note(
            ticket,
            "\n".join([_("These files of the e-mail were not attached:"), *refused]),
        )


def _fit(text: str) -> str:
    """A message's text within the description's limit (the .eml keeps the rest)."""
    if len(text) <= DESCRIPTION_MAX:
        return text
    return text[: DESCRIPTION_MAX - 1] + "…"


def _one_line(value: Any) -> str:
    """A header's text on one line, without control characters."""
    return " ".join("".join(ch for ch in str(value) if ch.isprintable() or ch == " ").split())
