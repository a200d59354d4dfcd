"""Exactly once: the same message handled twice at the same moment files one ticket
(threads released together by a barrier; SQLite, and PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from servicedesk import unit_of_work
from servicedesk.extensions import db
from servicedesk.mailin import service
from servicedesk.models import InboundMessage, OutboxMessage, Ticket
from tests.mailin.conftest import Desk, eml


def at_once(app: Flask, raws: list[bytes]) -> list[dict[str, Any]]:
    """Handle each message in its own thread, all released together; each outcome."""
    barrier = threading.Barrier(len(raws))
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def run(raw: bytes) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                outcome = service.handle(raw, mailbox="soporte")
                unit_of_work.commit()
                results.append(outcome.as_dict())
            except BaseException as exc:  # noqa: BLE001 - reported to the test below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(raw,)) for raw in raws]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_the_same_message_twice_at_once_files_one_ticket(app: Flask, desk: Desk) -> None:
    raw = eml("new_plain_es.eml")
    results = at_once(app, [raw, raw])
    assert sorted(r["action"] for r in results) == ["created", "ignored"]
    assert [r["reason"] for r in results if r["action"] == "ignored"] == ["duplicate"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Ticket.id))) == 2  # #1 and the new one
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 1
    acks = select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "received")
    assert db.session.scalar(acks) == 1


def test_the_same_reply_twice_at_once_adds_one_comment(app: Flask, desk: Desk) -> None:
    raw = eml("reply_gmail_es.eml")
    results = at_once(app, [raw, raw])
    assert sorted(r["action"] for r in results) == ["ignored", "replied"]
    db.session.rollback()
    assert len(db.session.get(Ticket, desk.ticket.id).comments) == 1  # type: ignore[union-attr]


def test_different_messages_at_once_are_each_handled(app: Flask, desk: Desk) -> None:
    raws = [eml("new_plain_es.eml", CAnewplain001=f"parallel{n}") for n in range(4)]
    results = at_once(app, raws)
    assert [r["action"] for r in results] == ["created"] * 4
    assert sorted(r["ticket"] for r in results) == [2, 3, 4, 5]
