"""Send outbox messages: claim a row, hand it to SMTP (or the console), record the outcome.

A row moves pending -> queued (on rq, under a lease) -> sending (claimed by one delivery,
under a lease) -> sent, or back to pending with a backoff, or failed after MAX_ATTEMPTS.
The relay takes back a row whose lease ended without a confirmed send, so no crash, lost
job or Redis restart strands a message.
"""

from __future__ import annotations

import re
import smtplib
import socket
import sys
import uuid
from collections.abc import Iterable
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from flask_mail import Connection, Message
from redis.exceptions import RedisError
from sqlalchemy import and_, or_, select, update

from .. import queues
from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow
from ..queues import QueueName

MAX_ATTEMPTS = 5
BATCH = 500
JOB = "servicedesk.jobs.deliver_job"
# An SMTP conversation is at most this many round trips (connect, greeting, EHLO, STARTTLS,
# EHLO, AUTH, MAIL, RCPT, DATA, QUIT), each bounded by MAIL_TIMEOUT: a claim lasts longer
# than that, so a slow delivery is never taken for a dead one and sent a second time.
SMTP_ROUND_TRIPS = 10
# A job id names its row: outbox-<row id>-<random>, a new one each time the row is queued.
JOB_ROW = re.compile(r"outbox-(\d+)(?:-|$)")
# Every character str.splitlines() breaks on: none may reach a header.
LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
# Errors that say the server is unreachable or silent, not that it refused this message.
UNREACHABLE = (
    TimeoutError,
    ConnectionError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
)


class Outcome(StrEnum):
    """What one delivery attempt did."""

    SENT = "sent"
    RETRY = "retry"  # refused or broken this time: pending again after a backoff
    DOWN = "down"  # the server is unreachable: pending again, and the next ones would wait too
    FAILED = "failed"  # out of attempts
    SKIPPED = "skipped"  # sent already, or claimed by another delivery


def one_line(value: str) -> str:
    """Fold line breaks into spaces so a value cannot end a header or start a new one."""
    return LINE_BREAKS.sub(" ", value).strip()


class _TimedConnection(Connection):
    """Flask-Mail's connection with a timeout, so a dead mail server cannot hold a delivery."""

    def configure_host(self) -> smtplib.SMTP:
        """Connect, say STARTTLS and log in as configured, giving up after MAIL_TIMEOUT."""
        config = current_app.config
        smtp = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        server, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
        # MAIL_TIMEOUT 0: no timeout of ours (smtplib's default, the socket module's).
        host = smtp(server, port, timeout=float(timeout)) if timeout else smtp(server, port)
        if config["MAIL_USE_TLS"]:
            host.starttls()
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return host

    def __exit__(self, *exc_info: object) -> None:
        """Say goodbye; a server that took the message but drops QUIT has still taken it."""
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()


def build(message: OutboxMessage) -> Message:
    """The e-mail for one outbox row: the one place messages are built."""
    outgoing = Message(
        subject=one_line(message.subject),
        recipients=[one_line(message.recipient)],
        sender=one_line(current_app.config["MAIL_DEFAULT_SENDER"]),
        body=message.body_text,
        html=message.body_html or None,
        # RFC 3834: our mail is machine-sent, so vacation responders do not answer it (and
        # Exchange's are told so in its own words); mailin also knows its own by these.
        extra_headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    # The outbox's Message-ID, not a fresh one: a resend is recognisably the same mail.
    outgoing.msgId = message.message_id
    return outgoing


def _send(message: OutboxMessage) -> None:
    """Hand one message to the mail server, or print it in the embedded mode."""
    outgoing = build(message)
    if current_app.config.get("MAIL_CONSOLE"):
        print(
            f"--- mail to {message.recipient}: {outgoing.subject}\n{message.body_text}\n---",
            file=sys.stdout,
            flush=True,
        )
        return
    with _TimedConnection(current_app.extensions["mail"]) as connection:
        connection.send(outgoing)


def _seconds(name: str) -> timedelta:
    """A duration setting as a timedelta."""
    return timedelta(seconds=float(current_app.config[name]))


def _claim_lease() -> timedelta:
    """How long a claimed row is left to its delivery before the relay takes it back."""
    longest_send = _seconds("MAIL_TIMEOUT") * SMTP_ROUND_TRIPS
    return max(_seconds("MAIL_LEASE_SECONDS"), longest_send)


def backoff(attempts: int) -> timedelta:
    """The wait after the given number of failed attempts: MAIL_RETRY_SECONDS * 2**n."""
    return _seconds("MAIL_RETRY_SECONDS") * 2**attempts


def _claim(message_id: int) -> OutboxMessage | None:
    """Take a row for this delivery alone: a conditional UPDATE only one caller can win."""
    now = utcnow()
    won = db.session.execute(  # type: ignore[attr-defined]  # a CursorResult
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                OutboxMessage.status == OutboxStatus.QUEUED,
                and_(
                    OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.available_at <= now
                ),
            ),
        )
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            available_at=now + _claim_lease(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return db.session.get(OutboxMessage, message_id) if won else None


def attempt(message_id: int) -> Outcome:
    """Claim one message and try to send it once; record what happened."""
    message = _claim(message_id)
    if message is None:
        return Outcome.SKIPPED
    try:
        _send(message)
    except Exception as exc:  # noqa: BLE001 - any transport error is recorded, not raised
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        failed = message.attempts >= MAX_ATTEMPTS
        message.status = OutboxStatus.FAILED if failed else OutboxStatus.PENDING
        message.available_at = utcnow() + backoff(message.attempts)
        db.session.commit()
        if failed:
            return Outcome.FAILED
        return Outcome.DOWN if isinstance(exc, UNREACHABLE) else Outcome.RETRY
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    db.session.commit()
    return Outcome.SENT


def deliver(message_id: int) -> bool:
    """Send one outbox message unless it was sent or claimed already; True if this sent it."""
    return attempt(message_id) is Outcome.SENT


def job_id(message_id: int) -> str:
    """A fresh rq job id for a message, naming its row so the relay can find it in Redis.

    Never reused: queuing a row again must not touch a job of it that is still finishing.
    """
    return f"outbox-{message_id}-{uuid.uuid4().hex[:12]}"


def relay(ids: Iterable[int]) -> int:
    """Queue messages on rq under a lease; those Redis cannot take stay pending."""
    queued: list[int] = []
    try:
        queue = queues.queue(QueueName.MAIL)
        for message_id in ids:
            queue.enqueue(JOB, message_id, job_id=job_id(message_id))
            queued.append(message_id)
    except (RedisError, OSError) as exc:
        current_app.logger.warning("Redis unavailable, outbox kept for the relay: %s", exc)
    if queued:
        now = utcnow()
        # A job may have run already: only a row still pending and due becomes queued.
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(queued),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.available_at <= now,
            )
            .values(status=OutboxStatus.QUEUED, available_at=now + _seconds("MAIL_LEASE_SECONDS"))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return len(queued)


def _jobs_waiting(ids: list[int]) -> set[int]:
    """Rows of these with a job in Redis: queued, on its way to a worker, or running.

    Membership of the queue and of rq's started registry is what decides whether a job will
    run; a job's own status field can outlive it. Without Redis, none are waiting.
    """
    if not ids or not current_app.config.get("REDIS_URL"):
        return set()
    try:
        queue = queues.queue(QueueName.MAIL)
        found = [
            *queue.get_job_ids(),
            *queue.intermediate_queue.get_job_ids(),
            *queue.started_job_registry.get_job_ids(cleanup=False),
        ]
    except (RedisError, OSError):
        return set()
    rows = {int(match.group(1)) for match in map(JOB_ROW.match, found) if match}
    return rows & set(ids)


def release_expired() -> int:
    """Take back rows whose lease ended; return how many are pending again.

    A claim whose delivery died goes back, and so does a queued row whose job Redis lost
    (a restart without persistence) or that ended without sending. A queued row whose job is
    still in the queue or running is only behind a busy worker: it gets a new lease rather
    than a second job.
    """
    now = utcnow()
    leased = (OutboxStatus.QUEUED, OutboxStatus.SENDING)
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.status)
        .where(OutboxMessage.status.in_(leased), OutboxMessage.available_at <= now)
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    ).all()
    waiting = _jobs_waiting([i for i, status in rows if status == OutboxStatus.QUEUED])
    if waiting:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(waiting), OutboxMessage.status == OutboxStatus.QUEUED)
            .values(available_at=now + _seconds("MAIL_LEASE_SECONDS"))
            .execution_options(synchronize_session=False)
        )
    released = [i for i, _status in rows if i not in waiting]
    if released:
        # The lease is checked again: a delivery may have claimed the row meanwhile.
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(released),
                OutboxMessage.status.in_(leased),
                OutboxMessage.available_at <= now,
            )
            .values(status=OutboxStatus.PENDING, available_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return len(released)


def pending_ids(limit: int = BATCH) -> list[int]:
    """Return messages due for (re)delivery, oldest first."""
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.available_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def deliver_due() -> int:
    """Deliver due messages in this process, stopping early while the server is down."""
    sent = 0
    for message_id in pending_ids():
        outcome = attempt(message_id)
        sent += outcome is Outcome.SENT
        if outcome is Outcome.DOWN:
            break  # the rest would each wait out the timeout: they keep for the next pass
    return sent


def relay_pass() -> int:
    """One run of the relay: take back expired leases, then queue what is due (or deliver it
    here when there is no Redis); return how many messages were queued or sent."""
    release_expired()
    if current_app.config.get("REDIS_URL"):
        return relay(pending_ids())
    return deliver_due()
