"""Service-level compliance of the selected tickets, grouped in the database.

One grouped query per report (by type, area, assignee and priority) counts, for the tickets
that had targets, each clock met on time or missed, and joins the business seconds each met
clock took (sla_response_secs, sla_resolution_secs: pauses excluded); Python adds the groups
up per collaborator, area, type and priority and orders the durations for the median and
the 90th percentile. A clock counts as missed when it was met late, or is still counting
past its due now (an overdue ticket is a breach before the escalation job has seen it: the
SQL twin of sla.clock.verdict, which the Excel export reads per row); a
clock still counting before its due is neither yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_

from ..extensions import db
from ..models import Area, Priority, SlaPhase, Ticket, TicketType, User
from .aggregate import dialect_name, joined, names_of, whole_numbers
from .metrics import p90_index


def _missed(breached: Any, taken: Any, due: Any, now: datetime) -> ColumnElement[bool]:
    """A clock met late, or still counting past its due now."""
    counting = and_(taken.is_(None), Ticket.sla_phase == SlaPhase.RUNNING, due <= now)
    return or_(breached.is_(True), counting)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet a condition."""
    return func.count(case((condition, 1)))


def _columns(now: datetime, dialect: str) -> dict[str, ColumnElement[Any]]:
    """The grouped figures, named as Counts' fields."""
    response_missed = _missed(
        Ticket.sla_response_breached, Ticket.sla_response_secs, Ticket.sla_response_due, now
    )
    resolution_missed = _missed(
        Ticket.sla_resolution_breached, Ticket.sla_resolution_secs, Ticket.sla_resolution_due, now
    )
    return {
        "targeted": func.count(Ticket.sla_version_id),
        "response_met": _count(Ticket.sla_response_breached.is_(False)),
        "response_missed": _count(response_missed),
        "resolution_met": _count(Ticket.sla_resolution_breached.is_(False)),
        "resolution_missed": _count(resolution_missed),
        "breached": _count(or_(response_missed, resolution_missed)),
        "response_secs": joined(Ticket.sla_response_secs, dialect),
        "resolution_secs": joined(Ticket.sla_resolution_secs, dialect),
    }


@dataclass
class Compliance:
    """One group's compliance: clocks met and missed, breaches, business time taken."""

    targeted: int = 0
    response_met: int = 0
    response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0
    breached: int = 0
    response_secs: list[int] = field(default_factory=list)
    resolution_secs: list[int] = field(default_factory=list)

    def add(self, row: Any) -> None:
        """Count one grouped row in."""
        for name in (
            "targeted",
            "response_met",
            "response_missed",
            "resolution_met",
            "resolution_missed",
            "breached",
        ):
            setattr(self, name, getattr(self, name) + getattr(row, name))
        self.response_secs += whole_numbers(row.response_secs)
        self.resolution_secs += whole_numbers(row.resolution_secs)

    @property
    def response_rate(self) -> float | None:
        """The share of first responses met on time, of those decided."""
        return _rate(self.response_met, self.response_missed)

    @property
    def resolution_rate(self) -> float | None:
        """The share of resolutions met on time, of those decided."""
        return _rate(self.resolution_met, self.resolution_missed)

    @property
    def response_median(self) -> float | None:
        """Median business hours to the first response."""
        return _median_hours(self.response_secs)

    @property
    def response_p90(self) -> float | None:
        """90th percentile of the business hours to the first response."""
        return _p90_hours(self.response_secs)

    @property
    def resolution_median(self) -> float | None:
        """Median business hours to the resolution."""
        return _median_hours(self.resolution_secs)

    @property
    def resolution_p90(self) -> float | None:
        """90th percentile of the business hours to the resolution."""
        return _p90_hours(self.resolution_secs)


def _rate(met: int, missed: int) -> float | None:
    """met / (met + missed), three decimals; None when nothing was decided."""
    return round(met / (met + missed), 3) if met + missed else None


def _median_hours(secs: Sequence[int]) -> float | None:
    """The median of business seconds, in hours to hundredths."""
    return round(median(secs) / 3600, 2) if secs else None


def _p90_hours(secs: Sequence[int]) -> float | None:
    """The 90th percentile (nearest rank) of business seconds, in hours to hundredths."""
    return round(sorted(secs)[p90_index(len(secs))] / 3600, 2) if secs else None


@dataclass
class ComplianceReport:
    """Compliance in total and per collaborator, area, type and priority."""

    total: Compliance = field(default_factory=Compliance)
    by_collaborator: Mapping[str, Compliance] = field(default_factory=dict)
    by_area: Mapping[str, Compliance] = field(default_factory=dict)
    by_type: Mapping[str, Compliance] = field(default_factory=dict)
    by_priority: Mapping[str, Compliance] = field(default_factory=dict)


def build(
    ticket_ids: Select[Any],
    none_label: str,
    now: datetime,
    priority_label: Callable[[str], str] = lambda value: str(Priority.label_of(value)),
) -> ComplianceReport:
    """The compliance of the selected (visible, filtered) tickets that had targets."""
    keys = (Ticket.ticket_type_id, Ticket.area_id, Ticket.assignee_id, Ticket.priority)
    named = [column.label(name) for name, column in _columns(now, dialect_name()).items()]
    query = (
        ticket_ids.with_only_columns(*keys, *named)
        .order_by(None)
        .select_from(Ticket)
        .where(Ticket.sla_version_id.is_not(None))
        .group_by(*keys)
    )
    rows = db.session.execute(query).all()
    types = names_of(TicketType, {r.ticket_type_id for r in rows})
    areas = names_of(Area, {r.area_id for r in rows if r.area_id is not None})
    people = names_of(User, {r.assignee_id for r in rows if r.assignee_id is not None})
    report = ComplianceReport()
    groups: dict[str, dict[str, Compliance]] = defaultdict(lambda: defaultdict(Compliance))
    for row in rows:
        report.total.add(row)
        for dimension, key in (
            ("collaborator", people.get(row.assignee_id) or none_label),
            ("area", areas.get(row.area_id) or none_label),
            ("type", types[row.ticket_type_id]),
            ("priority", priority_label(row.priority)),
        ):
            groups[dimension][key].add(row)
    report.by_collaborator = dict(groups["collaborator"])
    report.by_area = dict(groups["area"])
    report.by_type = dict(groups["type"])
    report.by_priority = dict(groups["priority"])
    return report
