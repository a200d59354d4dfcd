"""The report's figures computed row by row, as the page did before aggregate.py: the reference
the grouped queries must equal (tests/test_report_figures.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from servicedesk.reports import data
from servicedesk.reports.metrics import Report, Times, attention, spread_bucket
from servicedesk.zones import local

# What the report reads from an export row (data.export_rows(), positions in data.py).
_REPORTED = itemgetter(
    data.NUMBER,
    data.TYPE_NAME,
    data.AREA,
    data.ASSIGNEE,
    data.CHANNEL,
    data.PRIORITY,
    data.STATUS,
    data.CREATED,
    data.FIRST_RESPONSE,
    data.RESOLVED,
    data.CLOSED,
    data.RATING,
    data.COMMENT,
)


def _utc_day(value: datetime) -> date:
    """The day of a naive UTC time, in UTC."""
    return value.date()


def day_in(zone: str) -> Callable[[datetime], date]:
    """The day of a naive UTC time as a zone's calendar counts it."""
    if zone == "UTC":
        return _utc_day
    return lambda value: local(value, zone).date()


def build(rows: Iterable[Any], none_label: str, zone: str = "UTC") -> Report:
    """Aggregate export rows (data.export_rows()) into the report, in one pass.

    The same plain rows as the Excel export: naive UTC dates, no JSON, no object per ticket.
    Tickets are counted in the weeks of `zone`'s calendar (the reader's).
    """
    report = Report(
        total=Times(),
        by_collaborator=defaultdict(Times),
        by_area=defaultdict(Times),
        by_type=defaultdict(Times),
    )
    day = day_in(zone)
    for row in rows:
        add(report, row, none_label, day)
    return finish(report)


def add(
    report: Report, row: Any, none_label: str, day: Callable[[datetime], date] = _utc_day
) -> None:
    """Count one ticket (an export row) into the report, on the days `day` gives."""
    (
        number,
        type_name,
        area,
        assignee,
        channel,
        priority,
        status,
        created,
        first,
        resolved,
        closed,
        rating,
        comment,
    ) = _REPORTED(row)
    # The figures once per ticket, not once per group it counts in.
    figures = attention(created, first, resolved, closed, rating)
    first_hours, resolution_hours = figures[0], figures[1]
    if first_hours is not None:
        report.first_spread[spread_bucket(first_hours)] += 1
    if resolution_hours is not None:
        report.resolution_spread[spread_bucket(resolution_hours)] += 1
    for times in (
        report.total,
        report.by_collaborator[assignee or none_label],
        report.by_area[area or none_label],
        report.by_type[type_name],
    ):
        times.count(*figures)
    for dimension, value in (
        ("type_name", type_name),
        ("area", area),
        ("channel", channel),
        ("priority", priority),
        ("status", status),
    ):
        report.counts[dimension][value or none_label] += 1
    report.opened[day(created)] += 1
    if closed is not None:
        report.closed[day(closed)] += 1
    if rating is not None:
        report.distribution[rating] += 1
        rated_on = day(closed or created)  # a rating answers the closure it follows
        report.rating_sum[rated_on] += rating
        report.rating_count[rated_on] += 1
        if comment:
            report.comments.append((number, rating, comment))
            if len(report.comments) > 100:  # keep memory flat on long histories
                report.comments = sorted(report.comments, reverse=True)[:10]


def finish(report: Report) -> Report:
    """Keep the ten latest rating comments."""
    report.comments = sorted(report.comments, reverse=True)[:10]
    return report
