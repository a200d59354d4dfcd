"""Tickets and everything that happens on them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, attributes, mapped_column, relationship

from ..extensions import Model
from ..images import thumbnail_size
from ..vocabulary import ACTIVE_STATUSES, Channel, Priority, SlaPhase, Status
from .base import JSONType, UTCDateTime, json_default, one_of, utcnow
from .catalog import TicketType, TicketTypeVersion
from .sla import SlaPolicyVersion
from .users import Area, User

# What the reports' grouped pass reads of a ticket besides its filing time (ix_tickets_report).
REPORT_COLUMNS = (
    "ticket_type_id",
    "area_id",
    "assignee_id",
    "priority",
    "status",
    "channel",
    "closed_at",
    "closure_count",
    "number",
    "first_response_us",
    "resolution_us",
    "sla_version_id",
    "sla_phase",
    "sla_response_due",
    "sla_response_breached",
    "sla_response_secs",
    "sla_resolution_due",
    "sla_resolution_breached",
    "sla_resolution_secs",
    "id",
)


class Ticket(Model):
    """A client's request, private between its requester and the desk."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(one_of("status", Status), name="ck_tickets_status"),
        CheckConstraint(one_of("channel", Channel), name="ck_tickets_channel"),
        CheckConstraint(one_of("priority", Priority), name="ck_tickets_priority"),
        # Indexes follow the dashboard's filters and default orderings.
        Index("ix_tickets_status_updated", "status", "updated_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status", "updated_at"),
        Index("ix_tickets_area_status", "area_id", "status", "updated_at"),
        Index("ix_tickets_requester_updated", "requester_id", "updated_at"),
        Index("ix_tickets_type_status", "ticket_type_id", "status", "updated_at"),
        # The reports' covering index: a period's tickets with every column the report's
        # grouped pass reads (reports/aggregate.py), so a year's report reads this index
        # alone, never the wide rows (subjects, descriptions, form data). Trailing keys
        # rather than PostgreSQL's INCLUDE, which SQLite lacks: one definition for both.
        Index("ix_tickets_report", "created_at", *REPORT_COLUMNS),
        Index("ix_tickets_updated", "updated_at", "id"),
        Index("ix_tickets_priority_status", "priority", "status"),
        # A date range with a priority (the history's most common report filter).
        Index("ix_tickets_priority_created", "priority", "created_at"),
        # Open tickets per owner and area (the workload page) from the index alone.
        Index("ix_tickets_status_owner", "status", "assignee_id", "area_id"),
        CheckConstraint(one_of("sla_phase", SlaPhase), name="ck_tickets_sla_phase"),
        # Service levels: the Tablero's "Vencidos" (next due passed) and "at risk" (warning
        # passed, due not) views, and the escalation job's next action; each column is NULL
        # unless a clock counts, so the indexes hold only running tickets' instants.
        Index("ix_tickets_sla_next_due", "sla_next_due"),
        Index("ix_tickets_sla_warn", "sla_warn_at", "sla_next_due"),
        Index("ix_tickets_sla_escalate", "sla_escalate_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # FetchedValue: on PostgreSQL the INSERT works the number out (tickets.service), and the
    # ORM reads it back in the INSERT's RETURNING instead of a SELECT when it is next used.
    number: Mapped[int] = mapped_column(BigInteger, unique=True, server_default=FetchedValue())
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"))
    type_version_id: Mapped[int] = mapped_column(ForeignKey("ticket_type_versions.id"))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default)
    status: Mapped[str] = mapped_column(String(20), default=Status.NEW)
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL)
    channel: Mapped[str] = mapped_column(String(10), default=Channel.PORTAL)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Wall-clock microseconds from filing to the first response and to the resolution (the
    # reports' attention times), kept on the row with the times they come from (see
    # _keep_elapsed) so a report reads two numbers instead of working out two differences
    # of dates per ticket.
    first_response_us: Mapped[int | None] = mapped_column(BigInteger)
    resolution_us: Mapped[int | None] = mapped_column(BigInteger)
    # Incremented at each closure; feedback is unique per (ticket, closure).
    closure_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Filed without every required field (by e-mail): a collaborator completes them.
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    # Service level (servicedesk/sla): the policy version the ticket was given and its two
    # clocks. Dues are UTC instants computed in business time; see sla/clock.py.
    sla_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policy_versions.id", ondelete="SET NULL")
    )
    sla_phase: Mapped[str] = mapped_column(String(10), default=SlaPhase.NONE)
    sla_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_next_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Business seconds spent waiting on the client in the current resolution period.
    sla_paused_secs: Mapped[int] = mapped_column(Integer, default=0)
    # When the current resolution period began: filing, or the last reopening.
    sla_period_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_response_breached: Mapped[bool | None] = mapped_column(Boolean)
    sla_resolution_breached: Mapped[bool | None] = mapped_column(Boolean)
    # Business seconds (pauses excluded) to the first response and to the resolution.
    sla_response_secs: Mapped[int | None] = mapped_column(Integer)
    sla_resolution_secs: Mapped[int | None] = mapped_column(Integer)
    # Warnings already sent in this period (bits: sla.clock.RESPONSE_WARNED …).
    sla_notified: Mapped[int] = mapped_column(SmallInteger, default=0)

    __mapper_args__ = {"version_id_col": version}

    ticket_type: Mapped[TicketType] = relationship()
    type_version: Mapped[TicketTypeVersion] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    area: Mapped[Area | None] = relationship()
    sla_version: Mapped[SlaPolicyVersion | None] = relationship()
    comments: Mapped[list[Comment]] = relationship(
        back_populates="ticket",
        order_by="[Comment.created_at, Comment.id]",
        cascade="all, delete-orphan",
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.created_at", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        """Tell whether the ticket still needs work."""
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        """Show the ticket's number and status."""
        return f"<Ticket #{self.number} {self.status}>"


MICROSECOND = timedelta(microseconds=1)


def elapsed_us(start: datetime | None, end: datetime | None) -> int | None:
    """Whole microseconds from start to end (None without both)."""
    return None if start is None or end is None else (end - start) // MICROSECOND


@event.listens_for(Ticket, "before_insert")
def _elapsed_on_filing(_mapper: Any, _connection: Any, ticket: Ticket) -> None:
    """A ticket filed with its times (imports, history) gets its attention times."""
    # The column default comes after this hook: take it now, the times count from it.
    ticket.created_at = ticket.created_at or utcnow()
    ticket.first_response_us = elapsed_us(ticket.created_at, ticket.first_response_at)
    ticket.resolution_us = elapsed_us(ticket.created_at, ticket.resolved_at)


_ELAPSED = (("first_response_at", "first_response_us"), ("resolved_at", "resolution_us"))


@event.listens_for(Ticket, "before_update")
def _keep_elapsed(_mapper: Any, _connection: Any, ticket: Ticket) -> None:
    """The attention times follow their dates (a derived column the ORM keeps, not the
    database: SQLite cannot add a stored generated column to an existing table)."""
    for moment, elapsed in (
        ("first_response_at", "first_response_us"),
        ("resolved_at", "resolution_us"),
    ):
        if attributes.get_history(ticket, moment).has_changes():
            setattr(ticket, elapsed, elapsed_us(ticket.created_at, getattr(ticket, moment)))


class Comment(Model):
    """A public reply or an internal note on a ticket."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class Attachment(Model):
    """A file on a ticket; the bytes live in the attachment store under a random name."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Internal attachments belong to internal notes and never reach the client.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A picture's stored size in pixels (upright), for the thumbnail's width and height on
    # the page; None for other files and for pictures stored before 0014.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)

    ticket: Mapped[Ticket] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def thumbnail(self) -> tuple[int, int] | None:
        """The thumbnail's width and height in pixels, when the picture's own are known."""
        return thumbnail_size(self.width, self.height) if self.width and self.height else None


class HeldUpload(Model):
    """A file chosen on a form that was refused, kept for its uploader's next try.

    The token is the only way to name it (random, sent back by the form); it belongs to one
    user and lasts a limited time (tickets/held.py sweeps the expired ones).
    """

    __tablename__ = "held_uploads"
    __table_args__ = (Index("ix_held_uploads_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def thumbnail(self) -> tuple[int, int] | None:
        """The thumbnail's width and height in pixels, when the picture's own are known."""
        return thumbnail_size(self.width, self.height) if self.width and self.height else None


class TicketEvent(Model):
    """One entry on a ticket's timeline: who did what, when."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default)
    # Internal events (notes, assignments) are hidden from the client's timeline.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Feedback(Model):
    """A client's rating (1–5) and comment, once per closure of a ticket."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("ticket_id", "closure", name="uq_feedback_ticket_closure"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_feedback_rating"),
        # The report joins every ticket's rating: read from this index, not the table.
        Index("ix_feedback_ticket_closure_rating", "ticket_id", "closure", "rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    closure: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    author: Mapped[User | None] = relationship()


class TicketNumber(Model):
    """The last ticket number given out: one row, which a filing updates to take the next.

    The UPDATE locks the row until the filing commits, so two filings never get the same
    number, and a rolled-back filing gives its number back (numbers stay gap-free).
    """

    __tablename__ = "ticket_numbers"
    __table_args__ = (CheckConstraint("id = 1", name="ck_ticket_numbers_one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)
