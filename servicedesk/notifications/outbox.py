"""Write messages to the outbox inside the caller's transaction; dispatch them after commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import (
    JSON,
    ColumnElement,
    Table,
    bindparam,
    column,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, User, utcnow
from ..zones import force_zone

PENDING_KEY = "outbox_new_ids"


class _NeedsRecipient(Exception):  # noqa: N818 - a signal, not an error anyone sees
    """A template read more of the recipient than the name: render per recipient."""


class _Stand:
    """The recipient while one render serves a group: only the name, as a placeholder.

    Anything else a template reads of it raises (not AttributeError, which Jinja would turn
    into an empty value), so such a template falls back to one render per recipient.
    """

    def __init__(self, name: str) -> None:
        self.__dict__["name"] = name

    def __getattr__(self, attribute: str) -> Any:
        raise _NeedsRecipient(attribute)

    def __str__(self) -> str:
        raise _NeedsRecipient("__str__")


@dataclass(frozen=True)
class Stranger:
    """Someone without an account, written to once (a refused e-mail's polite answer)."""

    email: str
    name: str
    language: str
    timezone: str | None = None


# Whom a message is rendered for: a user, or an address without an account.
Recipient = User | Stranger


def _render(kind: str, user: Any, context: dict[str, Any]) -> tuple[str, str]:
    """The .txt and .html of one message for one (real or stand-in) recipient."""
    ctx = {**context, "user": user}
    return render_template(f"email/{kind}.txt", **ctx), render_template(f"email/{kind}.html", **ctx)


# (kind, language) -> whether one render with the name put in gave the same mail as the
# ordinary render, the first time this process tried (see _bodies).
_NAME_ONLY: dict[tuple[str, str], bool] = {}


def _bodies(
    kind: str, users: Sequence[Recipient], language: str, context: dict[str, Any]
) -> list[tuple[str, str]]:
    """Render the pair for each user; one render serves all when only the name differs.

    A ticket's notice goes to a whole area in one language: rendering it once with a
    placeholder for the name and putting each name in (escaped for the HTML, as the
    template does) costs two renders instead of two per recipient. The first time a kind
    is rendered so in a language, the first recipient is also rendered the ordinary way and
    must come out identical, or that kind is rendered per recipient from then on: a template
    that treats the name in another way (a filter, say) keeps its own output. Templates are
    loaded once per process, so one comparison answers for the process;
    tests/test_notifications.py compares every kind with awkward names.
    """
    if len(users) > 1 and _NAME_ONLY.get((kind, language), True):
        token = f"RECIPIENTNAME{uuid.uuid4().hex}"
        try:
            text, html = _render(kind, _Stand(token), context)
        except _NeedsRecipient:
            _NAME_ONLY[(kind, language)] = False
        else:
            fill = [
                (text.replace(token, u.name), html.replace(token, str(escape(u.name))))
                for u in users
            ]
            if (kind, language) not in _NAME_ONLY:
                _NAME_ONLY[(kind, language)] = fill[0] == _render(kind, users[0], context)
            if _NAME_ONLY[(kind, language)]:
                return fill
    return [_render(kind, u, context) for u in users]


def _rows(
    kind: str,
    users: Sequence[Recipient],
    language: str,
    zone: str | None,
    subject: Any,
    context: dict[str, Any],
) -> list[dict[str, Any]]:
    """The outbox rows of one message for users of one language and zone, rendered.

    zone None is the organisation's, read only if a template shows a time.
    """
    with force_locale(language), force_zone(zone):
        subject_text = str(subject)
        bodies = _bodies(kind, users, language, {"subject": subject_text, **context})
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or "servicedesk"
    ticket = context.get("ticket")
    return [
        {
            "kind": kind,
            "recipient": user.email,
            "language": language,
            "subject": subject_text,
            "body_text": text,
            "body_html": html,
            "message_id": f"<{uuid.uuid4().hex}@{domain}>",
            # A reply to this message by e-mail finds its ticket by the Message-ID (mailin).
            "ticket_id": ticket.id if ticket is not None else None,
        }
        for user, (text, html) in zip(users, bodies, strict=True)
    ]


_OUTBOX = cast(Table, OutboxMessage.__table__)
# What differs from one message of a group to the next; the rest is the group's.
_PER_ROW = ("recipient", "body_text", "body_html", "message_id")
_SHARED = ("kind", "language", "subject", "ticket_id")
# The columns the ORM would fill with their defaults, filled here once per group (the
# defaults of the model, spelled out: a Core INSERT of given rows runs no ORM defaults).
_FRESH = ("meta", "status", "attempts", "created_at", "available_at")
# PostgreSQL: the group's rows as one JSON array of records, unpacked by the server. The
# statement's text stays short whatever the number of rows, so psycopg keeps it and, from
# the fifth filing, prepares it; a multi-row VALUES for 14 messages is longer than psycopg
# caches (4 KB), and was split and parsed again on both sides at every filing (1 ms more).
_RECORDS = (
    func.json_to_recordset(bindparam("rows", type_=JSON))
    .table_valued(*(column(name, _OUTBOX.c[name].type) for name in _PER_ROW))
    .render_derived(name="r", with_types=True)
)
_PG_INSERT = (
    insert(_OUTBOX)
    .from_select(
        [*_SHARED, *_PER_ROW, *_FRESH],
        select(
            *(bindparam(name, type_=_OUTBOX.c[name].type) for name in _SHARED),
            *(_RECORDS.c[name] for name in _PER_ROW),
            *(bindparam(name, type_=_OUTBOX.c[name].type) for name in _FRESH),
        ),
    )
    .returning(_OUTBOX.c.id)
)
_INSERT = insert(_OUTBOX).returning(_OUTBOX.c.id)


def _fresh() -> dict[str, Any]:
    """The values a new message starts with: pending, no attempt yet, available now."""
    now = utcnow()
    return {
        "meta": {},
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "available_at": now,
    }


def _insert(rows: list[dict[str, Any]]) -> list[int]:
    """Write a group's rows in one statement; their ids."""
    connection = db.session.connection()
    fresh = _fresh()
    if connection.dialect.name == "postgresql":
        shared = {name: rows[0][name] for name in _SHARED}
        records = [{name: row[name] for name in _PER_ROW} for row in rows]
        return list(connection.execute(_PG_INSERT, {**shared, **fresh, "rows": records}).scalars())
    # Elsewhere one multi-row INSERT … RETURNING (executemany): SQLite has no network
    # round trip to save, and the short JSON statement was no faster there.
    return list(connection.execute(_INSERT, [{**row, **fresh} for row in rows]).scalars())


def enqueue_group(
    kind: str,
    users: Sequence[User],
    language: str,
    *,
    subject: Any,
    zone: str | None = None,
    **context: Any,
) -> list[int]:
    """Render an e-mail pair for users of one language and zone; one row per user; their ids.

    The rows go in as one INSERT, not one flush per message. Times show in `zone` (the
    users' own; None: the organisation's).
    """
    if not users:
        return []
    # Core, not the ORM's bulk INSERT: the rows need no objects, and the ORM's bookkeeping
    # for 14 rows cost as much as rendering them.
    ids = _insert(_rows(kind, users, language, zone, subject, context))
    db.session.info.setdefault(PENDING_KEY, []).extend(ids)
    return ids


def enqueue_template(kind: str, user: User, *, subject: Any, **context: Any) -> OutboxMessage:
    """Render an e-mail pair in the user's language and zone and add it to the outbox."""
    [row] = _rows(kind, [user], user.language, user.timezone, subject, context)
    message = OutboxMessage(**row)
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def enqueue_to_address(
    kind: str, person: Stranger, *, subject: Any, **context: Any
) -> OutboxMessage:
    """Render an e-mail pair for an address that has no account and add it to the outbox."""
    [row] = _rows(kind, [person], person.language, person.timezone, subject, context)
    message = OutboxMessage(**row)
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def requeue_failed(condition: ColumnElement[bool]) -> int:
    """Put the failed messages that match back in the queue with fresh attempts; how many."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED, condition)
        .values(status=OutboxStatus.PENDING, attempts=0, available_at=utcnow())
        .returning(OutboxMessage.id)
    )
    ids = list(result.scalars())
    # Handed over after the commit, like new messages.
    db.session.info.setdefault(PENDING_KEY, []).extend(ids)
    return len(ids)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    """A rolled-back change sends nothing."""
    session.info.pop(PENDING_KEY, None)
