"""Full-text search over tickets in the database's own engine, kept in sync on every write.

SQLite: an FTS5 table (unicode61, diacritics removed). PostgreSQL: a tsvector table with a
GIN index and the Spanish configuration. The app strips accents itself before indexing and
querying, so "jardin" finds "jardín" on both without the unaccent extension.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session, scoped_session

from ..extensions import db
from ..models import Comment, Ticket, User

WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 8
MAX_DOCUMENT = 100_000


def fold(value: str) -> str:
    """Lower-case and strip accents (á → a, ñ → n)."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _strings(value: Any) -> Iterable[str]:
    """Yield every string inside a custom-field value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def document(ticket: Ticket, comments: Iterable[str], requester: str = "") -> str:
    """Build the searchable text: the requester's name, subject, description, custom text
    and public comments (the front desk finds a caller's tickets by their name)."""
    parts = [
        requester,
        ticket.subject,
        ticket.description or "",
        *_strings(ticket.data or {}),
        *comments,
    ]
    return fold(" ".join(parts))[:MAX_DOCUMENT]


# The index writes, built once (they run on every filing and edit).
_PG_UPSERT = text(
    "INSERT INTO ticket_search (ticket_id, vector) VALUES (:id, to_tsvector('spanish', "
    ":doc)) ON CONFLICT (ticket_id) DO UPDATE SET vector = EXCLUDED.vector"
)
_SQLITE_DELETE = text("DELETE FROM ticket_search WHERE rowid = :id")
_SQLITE_INSERT = text("INSERT INTO ticket_search (rowid, document) VALUES (:id, :doc)")


def _write(connection: Any, ticket_id: int, doc: str) -> None:
    """Replace one ticket's entry in the index."""
    if connection.dialect.name == "postgresql":
        connection.execute(_PG_UPSERT, {"id": ticket_id, "doc": doc})
    else:
        connection.execute(_SQLITE_DELETE, {"id": ticket_id})
        connection.execute(_SQLITE_INSERT, {"id": ticket_id, "doc": doc})


def reindex(session: Session | scoped_session[Any], ticket_ids: Iterable[int]) -> None:
    """Rebuild the index entries of some tickets from the database."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    connection = session.connection()
    tickets = session.execute(
        select(Ticket, User.name)
        .join(User, User.id == Ticket.requester_id)
        .where(Ticket.id.in_(ids))
    ).all()
    bodies: dict[int, list[str]] = {}
    rows = session.execute(
        select(Comment.ticket_id, Comment.body).where(
            Comment.ticket_id.in_(ids), Comment.internal.is_(False)
        )
    )
    for ticket_id, body in rows:
        bodies.setdefault(ticket_id, []).append(body)
    for ticket, name in tickets:
        _write(connection, ticket.id, document(ticket, bodies.get(ticket.id, []), name))


def rebuild_all(batch: int = 2000) -> int:
    """Index every ticket (after bulk loads); return how many were indexed."""
    session = db.session
    last, done = 0, 0
    while True:
        ids = list(
            session.scalars(
                select(Ticket.id).where(Ticket.id > last).order_by(Ticket.id).limit(batch)
            )
        )
        if not ids:
            return done
        reindex(session, ids)
        session.commit()
        last, done = ids[-1], done + len(ids)


SEARCHED_FIELDS = {"subject", "description", "data"}


@event.listens_for(Session, "after_flush")
def _track_changes(session: Session, _context: Any) -> None:
    """Reindex tickets whose text changed, and those that got a public comment."""
    touched: set[int] = set()
    created: dict[int, Ticket] = {}
    public: dict[int, list[str]] = {}
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Ticket) and obj.id is not None:
            if obj in session.new:
                created[obj.id] = obj
            elif _text_changed(obj):
                touched.add(obj.id)
        elif isinstance(obj, Comment) and not obj.internal and obj in session.new:
            touched.add(obj.ticket_id)
            public.setdefault(obj.ticket_id, []).append(obj.body)
    # A ticket inserted by this flush is indexed from what was just written: its text is
    # in memory and it can have no older comments, so nothing is read back (two statements
    # fewer on every filing).
    if created:
        connection = session.connection()
        for ticket_id, ticket in created.items():
            doc = document(ticket, public.get(ticket_id, []), _requester_name(ticket))
            _write(connection, ticket_id, doc)
    touched -= created.keys()
    if touched:
        reindex(session, touched)


def _requester_name(ticket: Ticket) -> str:
    """The new ticket's requester's name: the object filing set, else one lookup."""
    requester = ticket.__dict__.get("requester")
    if requester is not None:
        return str(requester.name)
    return db.session.scalar(select(User.name).where(User.id == ticket.requester_id)) or ""


def _text_changed(ticket: Ticket) -> bool:
    """Tell whether a flushed ticket's searchable text changed."""
    state = inspect(ticket)
    return any(state.attrs[name].history.has_changes() for name in SEARCHED_FIELDS)


def match(query: str) -> Any:
    """Return a condition on Ticket.id for tickets matching every word of the query."""
    words = [w for w in WORD_RE.findall(fold(query))][:MAX_QUERY_WORDS]
    if not words:
        return None
    if db.engine.dialect.name == "postgresql":
        condition = text("ticket_search.vector @@ plainto_tsquery('spanish', :q)").bindparams(
            q=" ".join(words)
        )
        sub = select(text("ticket_id")).select_from(text("ticket_search")).where(condition)
    else:
        # Each word quoted and prefix-matched: no FTS5 syntax from the user reaches MATCH.
        expression = " ".join(f'"{w}"*' for w in words)
        sub = (
            select(text("rowid"))
            .select_from(text("ticket_search"))
            .where(text("ticket_search MATCH :q").bindparams(q=expression))
        )
    return Ticket.id.in_(sub)
