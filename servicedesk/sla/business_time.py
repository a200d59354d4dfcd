"""Business-time arithmetic: add and measure time counting only a calendar's working hours.

Working hours are wall-clock ranges in the calendar's zone (09:00–18:00 in Madrid stays
09:00–18:00 across a DST change), so each day's ranges are turned into UTC instants for that
day before counting. A day on which the clocks change therefore has one hour more or less of
a 24-hour range, which is the time that really passes. A wall-clock time that does not exist
that day (skipped by the clocks going forward) counts from the instant the clocks jumped.

Pure functions of their arguments: no database, no app; the SLA service builds a Calendar
from its rows and keeps every stored time in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_MINUTES = 24 * 60
# How far ahead a search for working time looks before deciding a calendar has none (a
# calendar whose every day is a holiday, or with no hours at all): two years of days.
HORIZON_DAYS = 2 * 366


class NoBusinessTime(ValueError):
    """The calendar has no working time within the horizon: no due time can be computed."""


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (0 = Monday) as minute ranges, holidays, in a time zone.

    A range is (start, end) in minutes after local midnight, end up to 1440 (the end of the
    day), so 24/7 is (0, 1440) on every weekday. Holidays are dates; yearly holidays are
    (month, day) pairs that repeat every year.
    """

    zone: ZoneInfo
    hours: Mapping[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    yearly: frozenset[tuple[int, int]] = field(default_factory=frozenset)

    @classmethod
    def always(cls, zone: str = "UTC") -> Calendar:
        """A calendar open around the clock (Seguridad's 24/7)."""
        return cls(ZoneInfo(zone), {day: ((0, DAY_MINUTES),) for day in range(7)})

    def is_holiday(self, day: date) -> bool:
        """Whether the local date is a holiday (on that date or every year on that day)."""
        return day in self.holidays or (day.month, day.day) in self.yearly

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local date, as UTC instants, in order."""
        if self.is_holiday(day):
            return []
        found = []
        for start, end in sorted(self.hours.get(day.weekday(), ())):
            opens, closes = self._instant(day, start), self._instant(day, end)
            if closes > opens:
                found.append((opens, closes))
        return found

    def _instant(self, day: date, minute: int) -> datetime:
        """The UTC instant of a wall-clock minute of a local date (1440: next midnight)."""
        if minute >= DAY_MINUTES:
            return self._instant(day + timedelta(days=1), 0)
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        # A time skipped by the clocks going forward does not round-trip: it is read with
        # the offset before the change (fold=0), which lands it after the jump in UTC, so
        # it is clamped to the instant of the jump itself.
        instant = local.astimezone(UTC)
        if instant.astimezone(self.zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            instant = _jump_instant(local, self.zone)
        return instant

    def _days_from(self, moment: datetime) -> Iterator[date]:
        """Local dates from the one holding the moment, up to the horizon."""
        first = moment.astimezone(self.zone).date()
        for offset in range(HORIZON_DAYS):
            yield first + timedelta(days=offset)


def _jump_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the clocks jumped over a non-existent local time."""
    before = local.replace(fold=0).astimezone(UTC)
    after = local.replace(fold=1).astimezone(UTC)
    low, high = sorted((before, after))
    # The change happens between the two readings: find the first instant whose local
    # time is past the skipped one (minute precision is all a calendar has).
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= local.replace(tzinfo=None, fold=0):
            high = middle
        else:
            low = middle
    return high.replace(second=0, microsecond=0)


def _utc(moment: datetime) -> datetime:
    """An aware datetime in UTC (naive values are refused: they mean different instants)."""
    if moment.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return moment.astimezone(UTC)


def add(calendar: Calendar, start: datetime, amount: timedelta) -> datetime:
    """The instant when `amount` of working time has passed after `start` (UTC)."""
    cursor, left = _utc(start), amount
    if left <= timedelta(0):
        return cursor
    for day in calendar._days_from(cursor):
        for opens, closes in calendar.windows(day):
            if closes <= cursor:
                continue
            begin = max(opens, cursor)
            if closes - begin >= left:
                return begin + left
            left -= closes - begin
            cursor = closes
    raise NoBusinessTime(f"no working time within {HORIZON_DAYS} days")


def between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time that passes from `start` to `end` (zero when end is not after start)."""
    start, end = _utc(start), _utc(end)
    total = timedelta(0)
    if end <= start:
        return total
    for day in calendar._days_from(start):
        windows = calendar.windows(day)
        if windows and windows[0][0] >= end:
            break
        for opens, closes in windows:
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        if day > end.astimezone(calendar.zone).date():
            break
    return total
