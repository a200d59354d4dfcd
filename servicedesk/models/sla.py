"""Service levels: business-hours calendars and versioned policies (targets chosen by rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import JSONType, UTCDateTime, json_default, utcnow
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
