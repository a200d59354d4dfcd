"""Service-level compliance of the selected tickets: columns of the report's one grouped pass.

The attention cube (reports/aggregate.py, grouped by type, area, assignee and priority)
also counts, per group, each clock met on time or missed, and joins the business seconds
each met clock took (sla_response_secs, sla_resolution_secs: pauses excluded); `fold` adds
its rows up per collaborator, area, type and priority, and the durations are ordered for
the median and the 90th percentile. A clock counts as missed when it was met late, or is
still counting past its due now (an overdue ticket is a breach before the escalation job
has seen it: the SQL twin of sla.clock.verdict, which the Excel export reads per row); a
clock still counting before its due is neither yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_

from ..models import Priority, SlaPhase, Ticket
from .metrics import p90_index


def _missed(breached: Any, taken: Any, due: Any, now: datetime) -> ColumnElement[bool]:
    """A clock met late, or still counting past its due now."""
    counting = and_(taken.is_(None), Ticket.sla_phase == SlaPhase.RUNNING, due <= now)
    return or_(breached.is_(True), counting)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet a condition."""
    return func.count(case((condition, 1)))


def columns(
    now: datetime, joined: Callable[[Any], ColumnElement[str]]
) -> dict[str, ColumnElement[Any]]:
    """The cube's compliance aggregates, named as its fields (`joined`: the cube's text join)."""
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
        "response_secs": joined(Ticket.sla_response_secs),
        "resolution_secs": joined(Ticket.sla_resolution_secs),
    }


@dataclass
class Compliance:
    """One group's compliance: clocks met and missed, breaches, business time taken.

    The durations are ordered once, by fold(), before any figure is read.
    """

    targeted: int = 0
    response_met: int = 0
    response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0
    breached: int = 0
    response_secs: list[int] = field(default_factory=list)
    resolution_secs: list[int] = field(default_factory=list)

    def add(self, row: Any, response: Sequence[int] = (), resolution: Sequence[int] = ()) -> None:
        """Count one grouped row in, with its durations already read."""
        self.targeted += row.targeted
        self.response_met += row.response_met
        self.response_missed += row.response_missed
        self.resolution_met += row.resolution_met
        self.resolution_missed += row.resolution_missed
        self.breached += row.breached
        self.response_secs += response
        self.resolution_secs += resolution

    def order(self) -> None:
        """Sort the durations, for the medians and percentiles."""
        self.response_secs.sort()
        self.resolution_secs.sort()

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


def _numbers(text: str | None) -> list[int]:
    """The whole numbers of a joined column."""
    return list(map(int, text.split(","))) if text else []


def _rate(met: int, missed: int) -> float | None:
    """met / (met + missed), three decimals; None when nothing was decided."""
    return round(met / (met + missed), 3) if met + missed else None


def _median_hours(ordered: Sequence[int]) -> float | None:
    """The median of ordered business seconds, in hours to hundredths."""
    n = len(ordered)
    if not n:
        return None
    middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return round(middle / 3600, 2)


def _p90_hours(ordered: Sequence[int]) -> float | None:
    """The 90th percentile (nearest rank) of ordered business seconds, in hours to hundredths."""
    return round(ordered[p90_index(len(ordered))] / 3600, 2) if ordered else None


@dataclass
class ComplianceReport:
    """Compliance in total and per collaborator, area, type and priority."""

    total: Compliance = field(default_factory=Compliance)
    by_collaborator: Mapping[str, Compliance] = field(default_factory=dict)
    by_area: Mapping[str, Compliance] = field(default_factory=dict)
    by_type: Mapping[str, Compliance] = field(default_factory=dict)
    by_priority: Mapping[str, Compliance] = field(default_factory=dict)


def fold(
    rows: Iterable[Any],
    names: Callable[[Any], tuple[str, str, str]],
    priority_label: Callable[[str], str] = lambda value: str(Priority.label_of(value)),
) -> ComplianceReport:
    """Add the cube's rows up: in total and per collaborator, area, type and priority.

    `names` gives a row's (collaborator, area, type) names; rows without targets are skipped.
    """
    report = ComplianceReport()
    groups: dict[str, dict[str, Compliance]] = defaultdict(lambda: defaultdict(Compliance))
    labels: dict[str, str] = {}  # a label is a translation lookup: once per priority
    for row in rows:
        if not row.targeted:
            continue
        response, resolution = _numbers(row.response_secs), _numbers(row.resolution_secs)
        report.total.add(row)  # its durations: the types' merged below
        collaborator, area, type_name = names(row)
        for dimension, key in (
            ("collaborator", collaborator),
            ("area", area),
            ("type", type_name),
            (
                "priority",
                labels.get(row.priority)
                or labels.setdefault(row.priority, priority_label(row.priority)),
            ),
        ):
            groups[dimension][key].add(row, response, resolution)
    for found in groups.values():
        for group in found.values():
            group.order()
    for group in groups["type"].values():  # every ticket has one type: the total is their union
        report.total.response_secs += group.response_secs
        report.total.resolution_secs += group.resolution_secs
    report.total.order()  # sorting the types' sorted runs is a merge
    report.by_collaborator = dict(groups["collaborator"])
    report.by_area = dict(groups["area"])
    report.by_type = dict(groups["type"])
    report.by_priority = dict(groups["priority"])
    return report
