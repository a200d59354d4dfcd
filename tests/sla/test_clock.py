"""Service-level clocks through the app: targets given at filing, paused while waiting on the
client, met by the first public reply (not a note), re-targeted on a priority change, and
measured in business hours. A controllable clock (time-machine) moves time for the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    SlaCalendar,
    SlaPolicy,
    SlaPolicyVersion,
    Ticket,
    TicketEvent,
)
from tests.api.conftest import NEW
from tests.conftest import recorded_statements

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def minutes(n: float) -> timedelta:
    """A duration in minutes."""
    return timedelta(minutes=n)


def add_policy(
    name: str,
    response: int | None,
    resolution: int | None,
    *,
    default: bool = False,
    position: int = 0,
    **rules: list,
) -> SlaPolicyVersion:
    """Store a policy with its first version (as the admin pages do)."""
    policy = SlaPolicy(name=name, is_default=default, position=position, current_version=1)
    version = SlaPolicyVersion(
        policy=policy,
        number=1,
        first_response_minutes=response,
        resolution_minutes=resolution,
        warn_percent=75,
        **rules,
    )
    db.session.add_all([policy, version])
    db.session.commit()
    return version


def ticket(number: int) -> Ticket:
    """The ticket as stored now."""
    db.session.expire_all()
    return db.session.scalars(select(Ticket).where(Ticket.number == number)).one()


def changes(number: int) -> list[str]:
    """The service-level events recorded on a ticket, in order."""
    found = ticket(number)
    rows = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == found.id, TicketEvent.kind == "sla")
        .order_by(TicketEvent.id)
    )
    return [row.data["change"] for row in rows]


def file(client_api) -> int:
    """File a ticket through the API and return its number."""
    answer = client_api.post("/tickets", json=NEW)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["number"]


def set_status(desk_api, number: int, status: str) -> None:
    """Move a ticket through the API."""
    answer = desk_api.post(f"/tickets/{number}/status", json={"status": status})
    assert answer.status_code == 200, answer.get_json()


def write(api, number: int, body: str, internal: bool = False) -> None:
    """Add a comment through the API."""
    answer = api.post(f"/tickets/{number}/comments", json={"body": body, "internal": internal})
    assert answer.status_code == 201, answer.get_json()


def test_a_ticket_without_any_policy_has_no_clock(soporte, client_api):
    with time_machine.travel(T0, tick=False):
        number = file(client_api)
    stored = ticket(number)
    assert stored.sla_phase == "none" and stored.sla_version_id is None
    assert stored.sla_response_due is None and changes(number) == []


def test_pause_first_response_and_retarget_move_the_dues(soporte, client_api, desk_api):
    add_policy("Normal", 60, 240, default=True)
    urgent = add_policy("Urgente", 30, 120, priorities=["urgent"])
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        stored = ticket(number)
        assert stored.sla_phase == "running"
        assert stored.sla_response_due == T0 + minutes(60)
        assert stored.sla_resolution_due == T0 + minutes(240)
        assert stored.sla_next_due == T0 + minutes(60)
        assert stored.sla_warn_at == T0 + minutes(45)

        # An internal note is not an answer to the client.
        clock.move_to(T0 + minutes(10))
        write(desk_api, number, "Revisar con conserjería", internal=True)
        assert ticket(number).sla_response_secs is None

        # Waiting on the client pauses both clocks; nothing is due meanwhile.
        clock.move_to(T0 + minutes(20))
        set_status(desk_api, number, "waiting")
        paused = ticket(number)
        assert paused.sla_phase == "paused" and paused.sla_paused_at == T0 + minutes(20)
        assert paused.sla_next_due is None and paused.sla_escalate_at is None

        # The client answers after an hour: every due moves by the hour paused.
        clock.move_to(T0 + minutes(80))
        write(client_api, number, "Sigue goteando")
        resumed = ticket(number)
        assert resumed.status == "in_progress" and resumed.sla_phase == "running"
        assert resumed.sla_paused_secs == 3600
        assert resumed.sla_response_due == T0 + minutes(120)
        assert resumed.sla_resolution_due == T0 + minutes(300)

        # The first public reply meets the first-response target, in business time net
        # of the pause (90 minutes elapsed, 60 of them paused).
        clock.move_to(T0 + minutes(90))
        write(desk_api, number, "Vamos en camino")
        met = ticket(number)
        assert met.sla_response_secs == 30 * 60 and met.sla_response_breached is False
        assert met.sla_next_due == T0 + minutes(300)

        # Urgent: the urgent policy applies from the ticket's start, pause included.
        clock.move_to(T0 + minutes(100))
        answer = desk_api.get(f"/tickets/{number}")
        patched = desk_api.patch(
            f"/tickets/{number}",
            json={"priority": "urgent"},
            headers={"If-Match": answer.headers["ETag"]},
        )
        assert patched.status_code == 200, patched.get_json()
        urgent_now = ticket(number)
        assert urgent_now.sla_version_id == urgent.id
        assert urgent_now.sla_resolution_due == T0 + minutes(120 + 60)
        assert urgent_now.sla_response_secs == 30 * 60  # a met clock keeps its figure

        # Resolved after the new due: the resolution target is missed.
        clock.move_to(T0 + minutes(200))
        set_status(desk_api, number, "resolved")
        done = ticket(number)
        assert done.sla_phase == "breached" and done.sla_resolution_breached is True
        assert done.sla_resolution_secs == (200 - 60) * 60
        assert done.sla_next_due is None and done.sla_escalate_at is None
    assert changes(number) == [
        "targeted",
        "paused",
        "resumed",
        "responded",
        "retargeted",
        "resolved",
    ]


def test_reopening_starts_a_new_resolution_period(soporte, client_api, desk_api):
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        clock.move_to(T0 + minutes(30))
        write(desk_api, number, "Listo, cambiamos la llave")
        set_status(desk_api, number, "resolved")
        assert ticket(number).sla_phase == "met"
        clock.move_to(T0 + minutes(600))
        answer = client_api.post(f"/tickets/{number}/reopen", json={})
        assert answer.status_code == 200, answer.get_json()
        reopened = ticket(number)
        assert reopened.sla_phase == "running"
        assert reopened.sla_period_start == T0 + minutes(600)
        assert reopened.sla_resolution_due == T0 + minutes(840)
        assert reopened.sla_resolution_secs is None
        assert reopened.sla_response_secs == 30 * 60  # the first response stays met


def test_business_hours_of_the_area_move_a_friday_evening_filing_to_monday(soporte, client_api):
    calendar = SlaCalendar(
        name="Oficina",
        zone="Europe/Madrid",
        hours={str(day): [[9 * 60, 18 * 60]] for day in range(5)},
        holidays=[{"date": "2026-03-09", "name": "Festivo local", "yearly": False}],
    )
    db.session.add(calendar)
    db.session.flush()
    area = db.session.scalars(select(Area).where(Area.name == "Mantenimiento")).one()
    area.calendar_id = calendar.id
    db.session.commit()
    add_policy("Oficina", 120, 9 * 60, default=True)
    friday_5pm_madrid = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)  # 17:00 in Madrid (UTC+1)
    with time_machine.travel(friday_5pm_madrid, tick=False):
        number = file(client_api)
    stored = ticket(number)
    # One hour on Friday (17:00–18:00 in Madrid), then the weekend.
    # Monday the 9th is a holiday: the second hour is Tuesday 9:00–10:00 Madrid.
    assert stored.sla_response_due == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    # Nine hours: one on Friday, eight on Tuesday from 9:00, so Tuesday 17:00 Madrid.
    assert stored.sla_resolution_due == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("priority", ["low", "urgent"])
def test_rules_choose_the_first_matching_policy_else_the_default(soporte, client_api, priority):
    add_policy("Por defecto", 480, None, default=True)
    add_policy("Urgentes", 30, 120, priorities=["urgent"], position=1)
    add_policy("Cualquiera urgente", 5, 10, priorities=["urgent"], position=2)
    soporte.ticket_type.default_priority = priority
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        number = file(client_api)
    stored = ticket(number)
    expected = 30 if priority == "urgent" else 480
    assert stored.sla_response_due == T0 + minutes(expected)
    assert (stored.sla_resolution_due is None) == (priority != "urgent")


def test_a_ticket_filed_before_any_policy_is_targeted_on_a_priority_change(
    soporte, client_api, desk_api
):
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        clock.move_to(T0 + minutes(20))
        write(desk_api, number, "Lo vemos hoy")
        add_policy("Urgente", 30, 120, priorities=["urgent"])
        clock.move_to(T0 + minutes(50))
        answer = desk_api.get(f"/tickets/{number}")
        patched = desk_api.patch(
            f"/tickets/{number}",
            json={"priority": "urgent"},
            headers={"If-Match": answer.headers["ETag"]},
        )
        assert patched.status_code == 200, patched.get_json()
    stored = ticket(number)
    # Its first response, 20 minutes after filing, counts as met against the 30 minutes.
    assert stored.sla_response_secs == 20 * 60 and stored.sla_response_breached is False
    assert stored.sla_resolution_due == T0 + minutes(120) and stored.sla_phase == "running"
    assert changes(number) == ["retargeted"]


def weekdays(start: str, end: str) -> dict[str, list[list[int]]]:
    """Working hours from start to end ("HH:MM"), Monday to Friday, as a calendar stores them."""
    minutes_of = [int(h) * 60 + int(m) for h, m in (t.split(":") for t in (start, end))]
    return {str(day): [minutes_of] for day in range(5)}


def every_day_all_day() -> dict[str, list[list[int]]]:
    """Around the clock, as a calendar stores it."""
    return {str(day): [[0, 24 * 60]] for day in range(7)}


def test_a_filing_asks_once_for_its_rules_and_calendar_and_writes_its_events_together(
    soporte, client_api, app
):
    """The area's own calendar (else the default) comes with the rules, in one statement; the
    "created" and "targeted" events go out in one INSERT; a client's answer reads no policy
    name (it shows none)."""
    add_policy("Normal", 60, None, default=True)
    db.session.add(
        SlaCalendar(name="Siempre", zone="UTC", hours=every_day_all_day(), is_default=True)
    )
    mantenimiento = db.session.scalars(select(Area).where(Area.name == "Mantenimiento")).one()
    office = SlaCalendar(name="Oficina", zone="America/Santiago", hours=weekdays("09:00", "18:00"))
    db.session.add(office)
    db.session.flush()
    mantenimiento.calendar_id = office.id
    db.session.add(Area(name="Seguridad"))
    db.session.commit()
    friday_night = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)  # 20:00 in Santiago: closed
    with time_machine.travel(friday_night, tick=False):
        first = file(client_api)  # converts the office's calendar (once per change)
    with recorded_statements(app) as statements, time_machine.travel(friday_night, tick=False):
        number = file(client_api)
    # The office opens on Monday at 09:00 in Santiago (12:00 UTC): due an hour later.
    monday = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert ticket(first).sla_response_due == ticket(number).sla_response_due == monday
    assert [s for s in statements if "sla_calendars" in s or "sla_policies" in s] == [
        s for s in statements if "sla_policies" in s and "sla_calendars" in s
    ]
    assert len([s for s in statements if "sla_policies" in s]) == 1
    # SQLite gets them one at a time: SQLAlchemy cannot rely on its RETURNING order for a
    # batch (each is a call into the library, not a round trip).
    inserts = 1 if db.engine.dialect.name == "postgresql" else 2
    assert len([s for s in statements if s.startswith("INSERT INTO ticket_events")]) == inserts
    stored = ticket(number)
    kinds = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == stored.id).order_by(TicketEvent.id)
    ).all()
    assert kinds == ["created", "sla"] and changes(number) == ["targeted"]

    # An area without a calendar of its own takes the default (around the clock, in UTC).
    seguridad = db.session.scalars(select(Area).where(Area.name == "Seguridad")).one()
    soporte.ticket_type.default_area = seguridad
    db.session.commit()
    with time_machine.travel(friday_night, tick=False):
        other = file(client_api)
    assert ticket(other).sla_response_due == friday_night + minutes(60)
