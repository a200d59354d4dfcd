"""Inbound e-mail: every message the desk handled, by its Message-ID (exactly once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..emails import MAX_LENGTH
from ..extensions import Model
from .base import UTCDateTime, utcnow


class InboundMessage(Model):
    """One handled e-mail: what became of it. The unique Message-ID makes a second copy a no-op.

    A message without a Message-ID is recorded under one made from a digest of its bytes.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        # The rate limit: how many tickets one sender filed in the last hour.
        Index("ix_inbound_messages_sender_received", "sender", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    mailbox: Mapped[str | None] = mapped_column(String(120))
    # created | replied | ignored | rejected (mailin.service.Outcome)
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(40), default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    sender: Mapped[str | None] = mapped_column(String(MAX_LENGTH))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
