"""Mailboxes the desk reads over IMAP: requests sent to them become tickets of their area."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..emails import MAX_LENGTH
from ..extensions import Model
from .base import UTCDateTime, one_of, utcnow
from .catalog import TicketType
from .users import Area


class MailSecurity(StrEnum):
    """How the connection is protected: TLS from the first byte (993) or STARTTLS (143)."""

    TLS = "tls"
    STARTTLS = "starttls"


class Mailbox(Model):
    """One IMAP mailbox: where to connect, whose mail it is and where handled mail goes."""

    __tablename__ = "mailboxes"
    __table_args__ = (
        CheckConstraint(one_of("security", MailSecurity), name="ck_mailboxes_security"),
        CheckConstraint("port BETWEEN 1 AND 65535", name="ck_mailboxes_port"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    address: Mapped[str] = mapped_column(String(MAX_LENGTH))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"))
    # The type new tickets from this mailbox get; None: the pipeline's default.
    ticket_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_types.id", ondelete="SET NULL")
    )
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=993)
    security: Mapped[str] = mapped_column(String(10), default=MailSecurity.TLS)
    username: Mapped[str] = mapped_column(String(255))
    # Sealed with a key derived from SECRET_KEY (servicedesk/secret_box.py); never shown back.
    password_sealed: Mapped[str] = mapped_column(Text)
    folder: Mapped[str] = mapped_column(String(255), default="INBOX")
    done_folder: Mapped[str] = mapped_column(String(255), default="Procesados")
    rejected_folder: Mapped[str] = mapped_column(String(255), default="Rechazados")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last pass: when it ended and why it failed (None: it worked).
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    area: Mapped[Area] = relationship()
    ticket_type: Mapped[TicketType | None] = relationship()
