"""Background exports: a file being prepared for one person, kept for a day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import UTCDateTime, utcnow


class Export(Model):
    """An Excel or PDF export running as a job, with its progress."""

    __tablename__ = "exports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed')", name="ck_exports_status"
        ),
        CheckConstraint("kind IN ('xlsx', 'pdf')", name="ck_exports_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    query: Mapped[str] = mapped_column(String(2000), default="")
    locale: Mapped[str] = mapped_column(String(5), default="es")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    stored_name: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by the process that works on the export (and, for a thread of the web process, when
    # it is started), then every few seconds: once it is too old, that process has died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Each run (the first, then each retry) has its own number; a run whose number is no
    # longer the row's stops writing, so a late worker never overwrites a retry.
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
