"""The reports' monthly cache: the attention cube of each UTC month, kept by the worker.

reports/cache.py builds and reads it; the database itself records which months changed
since (triggers of migration 0024 on tickets and feedback write report_changes), so a
month is used only while nothing of it changed, and a changed month is counted live.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import UTCDateTime, utcnow


class ReportChange(Model):
    """A write to a ticket (or its rating) of a month: that month's cache is stale.

    Written by database triggers only; the cache's builder deletes what it has counted.
    """

    __tablename__ = "report_changes"
    __table_args__ = (Index("ix_report_changes_month", "month", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # 'YYYY-MM' of the ticket's filing, UTC


class ReportMonth(Model):
    """A month whose cube is cached, for reports whose days are of `minutes` buckets."""

    __tablename__ = "report_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportCubeRow(Model):
    """One row of a month's cube (reports/aggregate.Cube), its tickets' clocks settled.

    Tickets whose clocks still run are never cached: whether they are late depends on now.
    """

    __tablename__ = "report_cube_rows"
    __table_args__ = (Index("ix_report_cube_rows_month", "minutes", "month"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    minutes: Mapped[int] = mapped_column(Integer)
    type_id: Mapped[int] = mapped_column(Integer)
    area_id: Mapped[int | None] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(10))
    tickets: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    rated: Mapped[int] = mapped_column(Integer)
    rating_total: Mapped[int | None] = mapped_column(Integer)
    targeted: Mapped[int] = mapped_column(Integer)
    response_met: Mapped[int] = mapped_column(Integer)
    response_missed: Mapped[int] = mapped_column(Integer)
    resolution_met: Mapped[int] = mapped_column(Integer)
    resolution_missed: Mapped[int] = mapped_column(Integer)
    breached: Mapped[int] = mapped_column(Integer)
    first: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    statuses: Mapped[str | None] = mapped_column(Text)
    channels: Mapped[str | None] = mapped_column(Text)
    opened_in: Mapped[str | None] = mapped_column(Text)
    closed_in: Mapped[str | None] = mapped_column(Text)
    rated_on: Mapped[str | None] = mapped_column(Text)
    rated_numbers: Mapped[str | None] = mapped_column(Text)
    response_secs: Mapped[str | None] = mapped_column(Text)
    resolution_secs: Mapped[str | None] = mapped_column(Text)
