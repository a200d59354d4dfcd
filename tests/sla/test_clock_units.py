"""The clocks' pure rules (sla/clock.py), hand-computed on a 24/7 calendar in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servicedesk.sla import clock
from servicedesk.sla.business_time import Calendar
from servicedesk.vocabulary import SlaPhase, SlaState

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
TICKET = clock.Ticket(T0, Calendar.always(), clock.Targets(H, 4 * H, 0.75))


def test_a_started_ticket_is_on_time_then_at_risk_then_overdue():
    started = clock.start(TICKET, T0)
    assert started.next_due == T0 + H and started.warn_at == T0 + 0.75 * H
    assert started.escalate_at == T0 + 0.75 * H
    assert clock.state(started, T0 + 0.5 * H) == SlaState.ON_TIME
    assert clock.state(started, T0 + 0.8 * H) == SlaState.AT_RISK
    assert clock.state(started, T0 + 1.5 * H) == SlaState.BREACHED


def test_each_warning_is_given_once_and_a_late_clock_skips_to_its_breach():
    clocks = clock.start(TICKET, T0)
    clocks, sent = clock.notify(clocks, TICKET, T0 + 0.5 * H)
    assert sent == []
    clocks, sent = clock.notify(clocks, TICKET, T0 + 0.8 * H)
    assert sent == [("response", "warning")]
    clocks, sent = clock.notify(clocks, TICKET, T0 + 0.9 * H)
    assert sent == []
    assert clocks.escalate_at == T0 + H  # next: the response's breach
    clocks, sent = clock.notify(clocks, TICKET, T0 + 3.5 * H)
    # The response is late; the resolution reached 75 % of 4 h (3 h) meanwhile.
    assert sent == [("response", "breach"), ("resolution", "warning")]
    assert clocks.response_breached is True
    assert clocks.escalate_at == T0 + 4 * H
    clocks, sent = clock.notify(clocks, TICKET, T0 + 5 * H)
    assert sent == [("resolution", "breach")] and clocks.escalate_at is None
    assert clock.notify(clocks, TICKET, T0 + 6 * H)[1] == []


def test_a_paused_ticket_is_never_warned_and_its_dues_move_by_the_pause():
    clocks = clock.pause(clock.start(TICKET, T0), TICKET, T0 + 0.25 * H)
    assert clock.state(clocks, T0 + 5 * H) == SlaState.PAUSED
    assert clock.notify(clocks, TICKET, T0 + 5 * H)[1] == []
    resumed = clock.resume(clocks, TICKET, T0 + 2.25 * H)
    assert resumed.paused_secs == 2 * 3600
    assert resumed.response_due == T0 + 3 * H and resumed.resolution_due == T0 + 6 * H


def test_met_on_time_late_and_reopened():
    clocks = clock.respond(clock.start(TICKET, T0), TICKET, T0 + 0.5 * H)
    assert clocks.response_breached is False and clocks.response_secs == 1800
    clocks = clock.resolve(clocks, TICKET, T0 + 5 * H)
    assert clocks.phase == SlaPhase.BREACHED and clocks.resolution_breached is True
    assert clock.state(clocks, T0 + 6 * H) == SlaState.BREACHED
    reopened = clock.reopen(clocks, TICKET, T0 + 10 * H)
    assert reopened.phase == SlaPhase.RUNNING and reopened.resolution_due == T0 + 14 * H
    assert reopened.response_secs == 1800 and reopened.notified & clock.RESOLUTION_BITS == 0
    met = clock.resolve(reopened, TICKET, T0 + 11 * H)
    # The new period was on time, and so was the first response: met, as it stands now.
    assert met.resolution_breached is False and met.phase == SlaPhase.MET


def test_resolved_without_a_reply_measures_the_first_response_at_the_resolution():
    clocks = clock.resolve(clock.start(TICKET, T0), TICKET, T0 + 0.5 * H)
    assert clocks.response_secs == 1800 and clocks.response_breached is False
    assert clocks.phase == SlaPhase.MET
    assert clock.state(clocks, T0 + 9 * H) == SlaState.MET


def test_a_calendar_that_never_works_gives_no_due_instead_of_failing():
    never = clock.Ticket(T0, Calendar(Calendar.always().zone, {}), clock.Targets(H, None))
    clocks = clock.start(never, T0)
    assert clocks.response_due is None and clocks.next_due is None


def test_a_clock_past_due_is_missed_before_the_job_records_it():
    late = T0 - H
    assert clock.verdict(None, None, late, SlaPhase.RUNNING, T0) is True
    assert clock.verdict(None, None, T0 + H, SlaPhase.RUNNING, T0) is None
    assert clock.verdict(None, None, late, SlaPhase.PAUSED, T0) is None
    assert clock.verdict(False, 60, late, SlaPhase.MET, T0) is False
    assert clock.verdict(True, 60, late, SlaPhase.BREACHED, T0) is True
