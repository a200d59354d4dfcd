"""The report's figures: volume over time, attention times, satisfaction."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from statistics import median
from typing import Any, Protocol

from . import data


def p90_index(n: int) -> int:
    """Where the 90th percentile (nearest rank) is among n ordered values."""
    return max(0, int(round(0.9 * n + 0.5)) - 1)


def p90(values: list[float]) -> float | None:
    """The 90th percentile (nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[p90_index(len(ordered))]


class Attention(Protocol):
    """A group's attention figures, as the page, the PDF and the summary sheet read them."""

    @property
    def tickets(self) -> int: ...
    @property
    def closed(self) -> int: ...
    @property
    def first_median(self) -> float | None: ...
    @property
    def first_p90(self) -> float | None: ...
    @property
    def resolution_median(self) -> float | None: ...
    @property
    def resolution_p90(self) -> float | None: ...
    @property
    def rating_average(self) -> float | None: ...
    @property
    def response_rate(self) -> float | None: ...


@dataclass(frozen=True)
class Figures:
    """A group's attention figures worked out (aggregate.Group.figures())."""

    tickets: int = 0
    closed: int = 0
    first_median: float | None = None
    first_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None
    rating_average: float | None = None
    response_rate: float | None = None


@dataclass
class Times:
    """First-response and resolution times of a group of tickets."""

    first: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    closed: int = 0
    tickets: int = 0

    def count(
        self,
        first_hours: float | None,
        resolution_hours: float | None,
        closed: bool,
        rating: int | None,
    ) -> None:
        """Count one ticket in from its figures."""
        self.tickets += 1
        if first_hours is not None:
            self.first.append(first_hours)
        if resolution_hours is not None:
            self.resolution.append(resolution_hours)
        if closed:
            self.closed += 1
        if rating is not None:
            self.ratings.append(rating)

    def merge(self, other: Times) -> None:
        """Add another group's tickets to this one."""
        self.tickets += other.tickets
        self.closed += other.closed
        self.first += other.first
        self.resolution += other.resolution
        self.ratings += other.ratings

    @property
    def first_median(self) -> float | None:
        """Median hours to first response."""
        return round(median(self.first), 2) if self.first else None

    @property
    def first_p90(self) -> float | None:
        """90th percentile of hours to first response."""
        return p90(self.first)

    @property
    def resolution_median(self) -> float | None:
        """Median hours to resolution."""
        return round(median(self.resolution), 2) if self.resolution else None

    @property
    def resolution_p90(self) -> float | None:
        """90th percentile of hours to resolution."""
        return p90(self.resolution)

    @property
    def rating_average(self) -> float | None:
        """Average rating (1-5)."""
        return round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None

    @property
    def response_rate(self) -> float | None:
        """Share of closed tickets that were rated."""
        return round(len(self.ratings) / self.closed, 3) if self.closed else None


@dataclass
class Report:
    """Everything the report page, its PDF and the summary sheet show."""

    total: Attention = field(default_factory=Figures)
    by_collaborator: Mapping[str, Attention] = field(default_factory=dict)
    by_area: Mapping[str, Attention] = field(default_factory=dict)
    by_type: Mapping[str, Attention] = field(default_factory=dict)
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    opened: Counter[date] = field(default_factory=Counter)
    closed: Counter[date] = field(default_factory=Counter)
    distribution: Counter[int] = field(default_factory=Counter)
    comments: list[tuple[int, int, str]] = field(default_factory=list)
    # Tickets per attention-time bucket (index into HOUR_EDGES, len(HOUR_EDGES) for beyond).
    first_spread: Counter[int] = field(default_factory=Counter)
    resolution_spread: Counter[int] = field(default_factory=Counter)
    # Ratings per day of the closure they rate: their sum and how many.
    rating_sum: Counter[date] = field(default_factory=Counter)
    rating_count: Counter[date] = field(default_factory=Counter)

    def buckets(self) -> list[tuple[date, int, int, int]]:
        """Opened, closed and backlog per week over the period."""
        return self.trend(WEEK)

    def step(self) -> str:
        """The trend's unit: days for up to a month of history, weeks up to half a year,
        then months (a bar stays wide enough to read at any length)."""
        days = set(self.opened) | set(self.closed)
        if not days:
            return WEEK
        span = (max(days) - min(days)).days
        return DAY if span <= 31 else WEEK if span <= 26 * 7 else MONTH

    def trend(self, step: str | None = None) -> list[tuple[date, int, int, int]]:
        """Opened, closed and backlog (opened minus closed so far) per day, week or month."""
        step = step or self.step()
        opened, closed = regroup(self.opened, step), regroup(self.closed, step)
        result, backlog = [], 0
        for start in periods(set(opened) | set(closed), step):
            backlog += opened[start] - closed[start]
            result.append((start, opened[start], closed[start], backlog))
        return result

    def satisfaction(self, step: str | None = None) -> list[tuple[date, float | None, int]]:
        """Average rating and how many ratings per day, week or month of closure."""
        step = step or self.step()
        total, count = regroup(self.rating_sum, step), regroup(self.rating_count, step)
        return [
            (start, round(total[start] / count[start], 2) if count[start] else None, count[start])
            for start in periods(set(count), step)
        ]


DAY, WEEK, MONTH = "day", "week", "month"
# Upper bounds (hours) of the attention-time buckets: < 1 h, 1–4 h, 4–24 h, 1–3 days, more.
HOUR_EDGES = (1.0, 4.0, 24.0, 72.0)


def spread_bucket(hours: float) -> int:
    """The attention-time bucket of a number of hours."""
    return bisect_right(HOUR_EDGES, hours)


def period_start(day: date, step: str) -> date:
    """The first day of the day's week (Monday) or month, or the day itself."""
    if step == WEEK:
        return day - timedelta(days=day.weekday())
    if step == MONTH:
        return day.replace(day=1)
    return day


def regroup(per_day: Counter[date], step: str) -> Counter[date]:
    """Per-day counts summed per period (at most one entry per day: constant per bucket)."""
    result: Counter[date] = Counter()
    for day, n in per_day.items():
        result[period_start(day, step)] += n
    return result


def periods(starts: set[date], step: str) -> list[date]:
    """Every period from the first to the last with data, empty ones included."""
    if not starts:
        return []
    current, end, result = min(starts), max(starts), []
    while current <= end:
        result.append(current)
        if step == MONTH:
            current = (current + timedelta(days=32)).replace(day=1)
        else:
            current += timedelta(days=7 if step == WEEK else 1)
    return result


def attention(
    created: Any, first: Any, resolved: Any, closed: Any, rating: int | None
) -> tuple[float | None, float | None, bool, int | None]:
    """One ticket's figures, as Times.count() takes them (hours to answer and to resolve)."""
    return data.hours(created, first), data.hours(created, resolved), closed is not None, rating


class Summary:
    """The Excel summary sheet's figures (totals, per collaborator, area and type), gathered
    from export rows (data.export_rows()) while they stream.

    Only what excel.summary_rows() shows, with the hours of Row's properties (data.hours);
    the totals are the per-type groups merged at the end (every ticket has one type; medians,
    percentiles and averages do not depend on the order of the values).
    """

    _pick = itemgetter(
        data.TYPE_NAME,
        data.AREA,
        data.ASSIGNEE,
        data.CREATED,
        data.FIRST_RESPONSE,
        data.RESOLVED,
        data.CLOSED,
        data.RATING,
    )

    def __init__(self, none_label: str) -> None:
        self.none = none_label
        self.by_collaborator: dict[str, Times] = defaultdict(Times)
        self.by_area: dict[str, Times] = defaultdict(Times)
        self.by_type: dict[str, Times] = defaultdict(Times)

    def add(self, row: Any) -> None:
        """Count one export row in."""
        type_name, area, assignee, created, first, resolved, closed, rating = self._pick(row)
        figures = attention(created, first, resolved, closed, rating)
        for times in (
            self.by_type[type_name],
            self.by_area[area or self.none],
            self.by_collaborator[assignee or self.none],
        ):
            times.count(*figures)

    def report(self) -> Report:
        """The gathered figures as a Report (only the parts the summary sheet reads)."""
        total = Times()
        for times in self.by_type.values():
            total.merge(times)
        return Report(
            total=total,
            by_collaborator=self.by_collaborator,
            by_area=self.by_area,
            by_type=self.by_type,
        )
