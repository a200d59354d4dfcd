"""Send outbox messages: Flask-Mail when configured, the console otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from flask_mail import Message
from sqlalchemy import select

from ..extensions import db, mail
from ..models import OutboxMessage, OutboxStatus, utcnow

MAX_ATTEMPTS = 5


def _send(message: OutboxMessage) -> None:
    """Hand one message to the mail server, or print it in the embedded mode."""
    if current_app.config.get("MAIL_CONSOLE"):
        print(f"--- mail to {message.recipient}: {message.subject}\n{message.body_text}\n---",
              file=sys.stdout, flush=True)
        return
    outgoing = Message(
        subject=message.subject, recipients=[message.recipient], body=message.body_text,
        html=message.body_html or None,
    )
    # The outbox's Message-ID, not a fresh one: a resend is recognisably the same mail.
    outgoing.msgId = message.message_id
    mail.send(outgoing)


def deliver(message_id: int) -> bool:
    """Send one outbox message unless it was sent already; record the outcome."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status == OutboxStatus.SENT:
        return False
    message.attempts += 1
    try:
        _send(message)
    except Exception as exc:  # noqa: BLE001 - any transport error is recorded, not raised
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        failed = message.attempts >= MAX_ATTEMPTS
        message.status = OutboxStatus.FAILED if failed else OutboxStatus.PENDING
        message.available_at = utcnow() + timedelta(seconds=30 * 2 ** message.attempts)
        db.session.commit()
        return False
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    db.session.commit()
    return True


def relay(ids: Iterable[int]) -> int:
    """Queue messages on rq; those Redis cannot take stay pending for the next relay run."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, Retry

    queued = 0
    try:
        queue = Queue(current_app.config["RQ_QUEUE"],
                      connection=Redis.from_url(current_app.config["REDIS_URL"]))
        for message_id in ids:
            queue.enqueue("servicedesk.notifications.jobs.deliver_job", message_id,
                          retry=Retry(max=3, interval=[10, 60, 300]),
                          job_id=f"outbox-{message_id}")
            db.session.execute(
                db.update(OutboxMessage)
                .where(OutboxMessage.id == message_id,
                       OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.QUEUED)
            )
            queued += 1
    except (RedisError, OSError) as exc:
        current_app.logger.warning("Redis unavailable, outbox kept for the relay: %s", exc)
    db.session.commit()
    return queued


def pending_ids(limit: int = 500) -> list[int]:
    """Return messages due for (re)delivery, oldest first."""
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.available_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))
