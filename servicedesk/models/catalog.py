"""Ticket types and their immutable form versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..vocabulary import Priority
from .base import JSONType, UTCDateTime, one_of, utcnow
from .users import Area, User


class TicketType(Model):
    """A kind of request (Proyecto, Soporte, Consulta…) with a versioned form."""

    __tablename__ = "ticket_types"
    __table_args__ = (
        CheckConstraint(one_of("default_priority", Priority), name="ck_ticket_types_priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    default_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    default_priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL)
    color: Mapped[str] = mapped_column(String(7), default="#0d6efd")
    icon: Mapped[str] = mapped_column(String(40), default="")
    # Number of the version new tickets are filed under; versions never change.
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    default_area: Mapped[Area | None] = relationship()
    versions: Mapped[list[TicketTypeVersion]] = relationship(
        back_populates="ticket_type", order_by="TicketTypeVersion.number"
    )
    # The current version, joined only where a ticket is filed (one query for type and form);
    # read through catalog.versions.current_version, which checks it is still current.
    current: Mapped[TicketTypeVersion | None] = relationship(
        primaryjoin="and_(foreign(TicketType.id) == remote(TicketTypeVersion.ticket_type_id), "
        "foreign(TicketType.current_version) == remote(TicketTypeVersion.number))",
        viewonly=True,
        uselist=False,
        lazy="raise",
    )

    def __repr__(self) -> str:
        """Show the type's key."""
        return f"<TicketType {self.key}>"


class TicketTypeVersion(Model):
    """One published, immutable form of a ticket type."""

    __tablename__ = "ticket_type_versions"
    __table_args__ = (UniqueConstraint("ticket_type_id", "number", name="uq_type_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    schema: Mapped[dict[str, Any]] = mapped_column(JSONType)
    ui: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket_type: Mapped[TicketType] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()
