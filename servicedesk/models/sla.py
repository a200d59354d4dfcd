"""Service levels: business-hours calendars, versioned policies (targets chosen by rules) and
the runs that give the open tickets their policy again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..vocabulary import RecomputeStatus
from .base import JSONType, UTCDateTime, json_default, one_of, utcnow
from .users import User


class SlaCalendar(Model):
    """Working hours per weekday and holidays, in a time zone (an area's or the default).

    ``hours`` maps a weekday ("0" = Monday) to minute ranges [[540, 1080], …] after local
    midnight; ``holidays`` is a list of {"date": "YYYY-MM-DD", "name": …, "yearly": bool}.
    """

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    zone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default)
    holidays: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The organisation's calendar: areas without one of their own use it.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        """Show the calendar's name."""
        return f"<SlaCalendar {self.name}>"


class SlaPolicy(Model):
    """A named service level; its rules and targets live in immutable versions."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # Policies are tried in this order, the first whose rules match wins.
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The default applies when no other matches; its rules are not read.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[SlaPolicyVersion]] = relationship(
        back_populates="policy", order_by="SlaPolicyVersion.number"
    )

    def __repr__(self) -> str:
        """Show the policy's name."""
        return f"<SlaPolicy {self.name}>"


class SlaPolicyVersion(Model):
    """One immutable edition of a policy: its rules and targets (minutes of business time).

    A rule list that is empty matches anything: ``type_ids``, ``priorities``, ``area_ids``,
    ``channels``. A ticket keeps the version it was given until it is re-targeted.
    """

    __tablename__ = "sla_policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "number", name="uq_sla_policy_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    type_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    priorities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    area_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    # The share of a target after which the owner (or the area) is warned, in percent.
    warn_percent: Mapped[int] = mapped_column(SmallInteger, default=75)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    policy: Mapped[SlaPolicy] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        """Show the policy and the version number."""
        return f"<SlaPolicyVersion {self.policy_id}.{self.number}>"


class SlaRecompute(Model):
    """One run of "Recalcular tickets abiertos": a job that re-targets the open tickets a batch
    at a time in id order, with its progress and its cursor (the last ticket id done).

    Each batch commits its tickets, their events and the cursor together, so a run taken up
    again after its worker died goes on from the cursor: no batch is applied twice or lost.
    """

    __tablename__ = "sla_recomputes"
    __table_args__ = (
        CheckConstraint(one_of("status", RecomputeStatus), name="ck_sla_recomputes_status"),
        # One run at a time, kept by the database: `active` is TRUE while a run is queued or
        # running and NULL once it ended, and a unique column takes one TRUE but many NULLs.
        CheckConstraint(
            "(status IN ('queued', 'running') AND active IS TRUE)"
            " OR (status IN ('done', 'failed') AND active IS NULL)",
            name="ck_sla_recomputes_active",
        ),
        UniqueConstraint("active", name="uq_sla_recomputes_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=RecomputeStatus.QUEUED)
    active: Mapped[bool | None] = mapped_column(Boolean)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Open tickets with an id up to until_id (the newest when the run began: later ones got
    # the policies of their filing); set when a worker first takes the run.
    total_tickets: Mapped[int] = mapped_column(Integer, default=0)
    until_id: Mapped[int | None] = mapped_column(Integer)
    done_tickets: Mapped[int] = mapped_column(Integer, default=0)
    changed_tickets: Mapped[int] = mapped_column(Integer, default=0)
    cursor_id: Mapped[int] = mapped_column(Integer, default=0)
    # Each taking up of the run (the first, then each resume) has its own number; a worker
    # whose number is no longer the row's stops before its next batch.
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by each batch (and, for a thread of the web process, when it is started): once it
    # is older than EXPORT_STALE_SECONDS, the process working on the run has died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    requested_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        """Show the run's id and status."""
        return f"<SlaRecompute {self.id} {self.status}>"
