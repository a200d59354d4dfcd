"""Business-time arithmetic against hand-computed cases (#18): weekends, holidays, DST, pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicedesk.sla.business_time import Calendar, NoBusinessTime, add, between

MADRID = ZoneInfo("Europe/Madrid")
SANTIAGO = ZoneInfo("America/Santiago")
WEEKDAYS_9_18 = {day: ((9 * 60, 18 * 60),) for day in range(5)}


def office(zone: ZoneInfo = MADRID, **kwargs: object) -> Calendar:
    """Administración's calendar: 9–18 Monday to Friday."""
    return Calendar(zone, WEEKDAYS_9_18, **kwargs)  # type: ignore[arg-type]


def at(zone: ZoneInfo, text: str) -> datetime:
    """A local wall-clock time in a zone."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def utc(text: str) -> datetime:
    """A UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_across_a_weekend():
    # Friday 16:00 + 4 h: two on Friday (to 18:00), two on Monday from 09:00 -> 11:00 CET.
    due = add(office(), at(MADRID, "2026-12-04T16:00"), timedelta(hours=4))
    assert due == utc("2026-12-07T10:00")
    assert between(office(), at(MADRID, "2026-12-04T16:00"), due) == timedelta(hours=4)


def test_across_a_holiday_on_its_date_and_yearly():
    # Monday 17:00 + 3 h with Tuesday 8 December off: 1 h Monday, Wednesday 09:00 + 2 h.
    start = at(MADRID, "2026-12-07T17:00")
    for calendar in (
        office(holidays=frozenset({date(2026, 12, 8)})),
        office(yearly=frozenset({(12, 8)})),
    ):
        assert add(calendar, start, timedelta(hours=3)) == utc("2026-12-09T10:00")
    # Without the holiday the target ends on Tuesday.
    assert add(office(), start, timedelta(hours=3)) == utc("2026-12-08T10:00")


def test_a_target_ending_exactly_at_closing_time_is_that_closing_time():
    # Nine hours from Monday's opening end at Monday 18:00, not at Tuesday's opening.
    due = add(office(), at(MADRID, "2026-12-07T09:00"), timedelta(hours=9))
    assert due == at(MADRID, "2026-12-07T18:00")


def test_a_ticket_filed_outside_hours_starts_counting_at_the_next_opening():
    # Saturday night + 1 h -> Monday 10:00; Monday 07:00 + 1 h -> Monday 10:00 too.
    assert add(office(), at(MADRID, "2026-12-05T22:00"), timedelta(hours=1)) == at(
        MADRID, "2026-12-07T10:00"
    )
    assert add(office(), at(MADRID, "2026-12-07T07:00"), timedelta(hours=1)) == at(
        MADRID, "2026-12-07T10:00"
    )
    # Time outside hours counts for nothing.
    assert between(office(), at(MADRID, "2026-12-05T08:00"), at(MADRID, "2026-12-07T09:00")) == (
        timedelta(0)
    )


def test_several_ranges_a_day():
    split = Calendar(MADRID, {0: ((9 * 60, 13 * 60), (15 * 60, 18 * 60))})
    # Monday 12:00 + 2 h: one before lunch, one from 15:00 -> 16:00.
    assert add(split, at(MADRID, "2026-12-07T12:00"), timedelta(hours=2)) == at(
        MADRID, "2026-12-07T16:00"
    )
    assert between(split, at(MADRID, "2026-12-07T00:00"), at(MADRID, "2026-12-08T00:00")) == (
        timedelta(hours=7)
    )


def test_dst_in_madrid_office_hours_stay_wall_clock():
    # Spring forward on Sunday 29 March 2026: Friday 17:00 CET (16:00Z) + 2 h ends Monday
    # 10:00 CEST, which is 08:00Z (not 09:00Z).
    assert add(office(), at(MADRID, "2026-03-27T17:00"), timedelta(hours=2)) == utc(
        "2026-03-30T08:00"
    )
    # Fall back on Sunday 25 October 2026: Friday 17:00 CEST (15:00Z) + 2 h -> Monday 10:00
    # CET = 09:00Z.
    assert add(office(), at(MADRID, "2026-10-23T17:00"), timedelta(hours=2)) == utc(
        "2026-10-26T09:00"
    )


def test_dst_in_madrid_around_the_clock_counts_real_hours():
    always = Calendar.always("Europe/Madrid")
    # Sunday 29 March has 23 hours, Sunday 25 October 25.
    day = timedelta(days=1)
    start = at(MADRID, "2026-03-29T00:00")
    assert between(always, start, start + day) == timedelta(hours=23)
    start = at(MADRID, "2026-10-25T00:00")
    assert between(always, start, at(MADRID, "2026-10-26T00:00")) == timedelta(hours=25)
    # Saturday noon + 24 h of a 24/7 desk: Sunday 12:00Z, which reads 14:00 CEST.
    due = add(always, at(MADRID, "2026-03-28T12:00"), timedelta(hours=24))
    assert due == utc("2026-03-29T11:00")
    assert due.astimezone(MADRID).hour == 13


def test_dst_in_santiago_where_midnight_is_skipped_or_repeated():
    always = Calendar.always("America/Santiago")
    # Saturday 4 April 2026: clocks go from 24:00 back to 23:00 -> a 25-hour day.
    assert between(
        always, at(SANTIAGO, "2026-04-04T00:00"), at(SANTIAGO, "2026-04-05T00:00")
    ) == timedelta(hours=25)
    # Sunday 6 September 2026: midnight does not exist (00:00 -> 01:00) -> a 23-hour day,
    # whose first working instant is the jump itself (04:00Z).
    assert always.windows(date(2026, 9, 6))[0][0] == utc("2026-09-06T04:00")
    assert between(
        always, at(SANTIAGO, "2026-09-06T01:00"), at(SANTIAGO, "2026-09-07T00:00")
    ) == timedelta(hours=23)
    # Office hours across that weekend: Friday 17:00 -04 (21:00Z) + 2 h -> Monday 10:00 -03.
    assert add(office(SANTIAGO), at(SANTIAGO, "2026-09-04T17:00"), timedelta(hours=2)) == utc(
        "2026-09-07T13:00"
    )


def test_a_pause_that_spans_a_night_moves_the_due_time_by_its_business_time():
    calendar = office()
    # Filed Monday 14:00 with 8 working hours: 4 on Monday, Tuesday 09:00 + 4 -> 13:00.
    due = add(calendar, at(MADRID, "2026-12-07T14:00"), timedelta(hours=8))
    assert due == at(MADRID, "2026-12-08T13:00")
    # Waiting on the client from Monday 17:00 to Tuesday 10:00: two working hours paused
    # (17–18 and 09–10); what was left at the pause resumes when the client answers.
    paused, resumed = at(MADRID, "2026-12-07T17:00"), at(MADRID, "2026-12-08T10:00")
    assert between(calendar, paused, resumed) == timedelta(hours=2)
    left = between(calendar, paused, due)
    assert left == timedelta(hours=5)
    assert add(calendar, resumed, left) == at(MADRID, "2026-12-08T15:00")
    assert add(calendar, resumed, left) == add(calendar, due, between(calendar, paused, resumed))


def test_zero_and_negative_amounts_and_reversed_intervals():
    start = at(MADRID, "2026-12-05T22:00")
    assert add(office(), start, timedelta(0)) == start
    assert between(office(), at(MADRID, "2026-12-08T10:00"), start) == timedelta(0)


def test_a_calendar_without_working_time_says_so():
    with pytest.raises(NoBusinessTime):
        add(Calendar(MADRID, {}), at(MADRID, "2026-12-07T10:00"), timedelta(minutes=1))
    assert between(
        Calendar(MADRID, {}), at(MADRID, "2026-12-07T10:00"), at(MADRID, "2026-12-09T10:00")
    ) == timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add(office(), datetime(2026, 12, 7, 10), timedelta(hours=1))
