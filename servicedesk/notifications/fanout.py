"""Notices: a change's e-mails to a whole area, written right after the change's commit.

A new ticket is mailed to every administrator and every member of its area. Rendering and
writing those messages cost more than the rest of the filing together (bench/create.py), and
grow with the area. So the filing writes one row, a notice, in its own transaction; right
after the commit the worker (or the embedded courier) expands it into outbox messages. A
notice whose hand-off was lost (Redis down, a process killed) is expanded by the relay once
its lease is over. The claim, the messages and the mark "done" are one transaction, so
a notice's mail is written exactly once, whoever expands it and however often it is handed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import cast

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.orm import Session

from .. import queues
from ..extensions import db
from ..models import Notice, NoticeStatus, Ticket, User, utcnow
from ..queues import QueueName
from . import delivery, events, outbox

NOTICES_KEY = "notices_new_ids"
JOB = "servicedesk.jobs.notice_job"
MAX_ATTEMPTS = 5
BATCH = 100

# What expands each kind of notice: (ticket, actor) -> rows written through the outbox.
EXPANDERS: dict[str, Callable[[Ticket, User | None], None]] = {
    "new_ticket": events.new_ticket,
}

_NOTICES = cast(Table, Notice.__table__)
# Built once: a filing writes it every time.
_ANNOUNCE = insert(_NOTICES).returning(_NOTICES.c.id)


def announce(kind: str, ticket: Ticket, actor: User) -> int:
    """Record, in the caller's transaction, that a change's mail is to be written; its id."""
    if kind not in EXPANDERS:
        raise ValueError(f"no expander for notices of kind {kind!r}")
    now = utcnow()
    notice_id = db.session.execute(
        _ANNOUNCE,
        {
            "kind": kind,
            "ticket_id": ticket.id,
            "actor_id": actor.id,
            "status": NoticeStatus.PENDING,
            "attempts": 0,
            "created_at": now,
            # Like a queued message, the hand-off has MAIL_LEASE_SECONDS before the relay
            # takes over: the two would not both write (the claim decides), but the relay
            # would do the worker's work in its place.
            "available_at": now
            + timedelta(seconds=float(current_app.config["MAIL_LEASE_SECONDS"])),
        },
    ).scalar_one()
    db.session.info.setdefault(NOTICES_KEY, []).append(notice_id)
    return notice_id


def expand(notice_id: int) -> list[int]:
    """Write a pending notice's messages and mark it done, committed; the new message ids.

    A notice already done (expanded by another hand) writes nothing. A failure rolls the
    whole attempt back and counts it: the relay tries again after a backoff.
    """
    claimed = db.session.execute(
        update(Notice)
        .where(Notice.id == notice_id, Notice.status == NoticeStatus.PENDING)
        .values(status=NoticeStatus.DONE)
        .returning(Notice.kind, Notice.ticket_id, Notice.actor_id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        db.session.commit()
        return []
    try:
        ticket = db.session.get(Ticket, claimed.ticket_id)
        actor = db.session.get(User, claimed.actor_id) if claimed.actor_id else None
        if ticket is not None:
            EXPANDERS[claimed.kind](ticket, actor)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - recorded on the notice, retried by the relay
        db.session.rollback()
        current_app.logger.exception("Notice %s could not be expanded", notice_id)
        _count_failure(notice_id, exc)
        return []
    return cast(list[int], db.session.info.pop(outbox.PENDING_KEY, []))


def _count_failure(notice_id: int, exc: Exception) -> None:
    """Note a failed expansion: pending again after a backoff, failed after MAX_ATTEMPTS."""
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        return
    notice.attempts += 1
    notice.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    notice.status = NoticeStatus.FAILED if notice.attempts >= MAX_ATTEMPTS else NoticeStatus.PENDING
    notice.available_at = utcnow() + delivery.backoff(notice.attempts)
    db.session.commit()


def expand_pending() -> list[int]:
    """Expand the notices whose hand-off is overdue (the relay's part); the new message ids."""
    due = list(
        db.session.scalars(
            select(Notice.id)
            .where(Notice.status == NoticeStatus.PENDING, Notice.available_at <= utcnow())
            .order_by(Notice.id)
            .limit(BATCH)
        )
    )
    db.session.commit()
    written: list[int] = []
    for notice_id in due:
        written.extend(expand(notice_id))
    return written


def relay_pass() -> int:
    """One run of the relay: expand overdue notices, then deliver or queue the due mail."""
    expand_pending()
    return delivery.relay_pass()


def queue(ids: list[int]) -> None:
    """Queue notices on rq for the worker; those Redis cannot take wait for the relay."""
    queued = 0
    try:
        mail = queues.queue(QueueName.MAIL)
        for notice_id in ids:
            mail.enqueue(JOB, notice_id, job_id=f"notice-{notice_id}-{uuid.uuid4().hex[:12]}")
            queued += 1
    except (RedisError, OSError) as exc:
        current_app.logger.warning("Redis unavailable, notices kept for the relay: %s", exc)
        # Due at the relay's next run rather than at the end of a lease no job holds.
        db.session.execute(
            update(Notice)
            .where(Notice.id.in_(ids[queued:]), Notice.status == NoticeStatus.PENDING)
            .values(available_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    """A rolled-back change announces nothing."""
    session.info.pop(NOTICES_KEY, None)
