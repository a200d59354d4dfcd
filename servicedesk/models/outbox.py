"""Outgoing messages, written in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..emails import MAX_LENGTH
from ..extensions import Model
from .base import JSONType, UTCDateTime, json_default, one_of, utcnow


class OutboxStatus(StrEnum):
    """Where a message is on its way out."""

    PENDING = "pending"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    """One e-mail to deliver, rendered at write time so delivery needs no app state."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(one_of("status", OutboxStatus), name="ck_outbox_status"),
        Index("ix_outbox_status_available", "status", "available_at"),
        # A ticket's mail: deleting a ticket sets it NULL, and e-mail in reads it per ticket.
        Index("ix_outbox_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(MAX_LENGTH))
    language: Mapped[str] = mapped_column(String(5), default="es")
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Stable Message-ID: a resend after a crash is recognisable as the same message.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default)
    # The ticket the message is about: a reply to it by e-mail lands there (mailin).
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the relay looks at the row next: a pending row's next try, or the end of the lease
    # of a queued or sending one (not confirmed sent by then, the relay takes it back).
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NoticeStatus(StrEnum):
    """Whether a notice's messages were written."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Notice(Model):
    """A change whose e-mails are still to be written: the messages to a whole area.

    Written in the transaction of the change; expanded into outbox messages right after the
    commit, by the worker (or the embedded courier), and by the relay if that hand-off was
    lost. Expanding and marking it done are one transaction, so its mail is written once.
    """

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(one_of("status", NoticeStatus), name="ck_notices_status"),
        Index("ix_notices_status_available", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=NoticeStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the relay may expand it: a little after filing (the hand-off comes first), or
    # after the backoff of a failed attempt.
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
