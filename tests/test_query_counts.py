"""No query per row: every page a role reaches runs as many statements with more data.

Each page is visited after every list grew (tickets, people, areas, comments, events,
attachments, ratings, saved views), then again after they grew once more; the statement
counts must match, page by page. Pages come from following the app's links (tests/crawl.py).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import event, select
from werkzeug.datastructures import FileStorage

from servicedesk import demo
from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    Comment,
    Feedback,
    Role,
    SavedView,
    Status,
    Ticket,
    TicketEvent,
    User,
)
from servicedesk.tickets.service import store_attachment
from tests.conftest import make_user
from tests.crawl import ROLES, crawl, signed_in
from tests.tickets.conftest import PNG


def statements(app, client, paths: list[str]) -> dict[str, int]:
    """How many SQL statements each page runs."""
    counts: dict[str, int] = {}
    seen = [0]

    def count(*_args) -> None:  # noqa: ANN002
        seen[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for path in paths:
            seen[0] = 0
            client.get(path).close()
            counts[path] = seen[0]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return counts


def grow(tag: str) -> None:
    """Add rows to every list a page shows: more of everything, on every ticket."""
    areas = [Area(name=f"Área {tag} {n}") for n in range(3)]
    db.session.add_all(areas)
    people = [make_user(Role.COLLABORATOR, f"{tag}{n}@example.com", areas=areas) for n in range(4)]
    clients = db.session.scalars(select(User).where(User.role == Role.CLIENT)).all()
    rated = {tuple(r) for r in db.session.execute(select(Feedback.ticket_id, Feedback.closure))}
    for ticket in db.session.scalars(select(Ticket)).all():
        for n, author in enumerate([*people, *clients]):
            db.session.add(
                Comment(
                    ticket_id=ticket.id,
                    author_id=author.id,
                    body=f"Más {n}",
                    internal=author in people and n % 2 == 0,
                )
            )
            db.session.add(
                TicketEvent(
                    ticket_id=ticket.id, actor_id=author.id, kind="reply", data={}, internal=False
                )
            )
        store_attachment(
            ticket, clients[0], FileStorage(io.BytesIO(PNG), "otra.png", "file", "image/png")
        )
        if ticket.status == Status.CLOSED and (ticket.id, ticket.closure_count) not in rated:
            db.session.add(
                Feedback(
                    ticket_id=ticket.id,
                    closure=ticket.closure_count,
                    rating=4,
                    comment="Bien",
                    author_id=ticket.requester_id,
                )
            )
    for user in db.session.scalars(select(User).where(User.role != Role.CLIENT)).all():
        db.session.add_all(
            [SavedView(user_id=user.id, name=f"Vista {tag} {n}", query=f"q=x{n}") for n in range(3)]
        )
    db.session.commit()
    demo.generate(60)
    db.session.commit()


@pytest.mark.parametrize("role", [r for r in ROLES if ROLES[r]])
def test_every_page_runs_the_same_statements_with_more_rows(app, demo_desk, role):
    """A page that queried once per line would run more statements after a second grow()."""
    client = signed_in(app, role)
    paths = list(crawl(app, client).html)
    grow("uno")  # every list has lines now (an empty page may skip its lookups)
    before = statements(app, client, paths)
    grow("dos")
    after = statements(app, client, paths)
    assert len(paths) >= 8
    changed = {p: (before[p], after[p]) for p in paths if before[p] != after[p]}
    assert not changed, changed
