"""Escalation through the app: tickets filed by the API, passes run by `flask sla-escalate`
(or the scheduler's entry points) under a controllable clock, mail read at the SMTP sink.

A warning at 75 % of a target goes to the owner, or to the area's active staff; a breach at
100 % to the area's supervisors and the administrators; each once per ticket and period,
even with two passes at once, and through the outbox, so that Redis being down loses none."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    OutboxMessage,
    OutboxStatus,
    Role,
    Ticket,
    TicketEvent,
    area_members,
    utcnow,
)
from servicedesk.notifications import courier, events, fanout
from servicedesk.sla import escalation
from servicedesk.sla.clock import RESOLUTION_WARNED
from servicedesk.tickets import workflow
from tests.conftest import free_port, login, make_user
from tests.sla.test_clock import add_policy, file, set_status, ticket, write

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
NOTHING = {"checked": 0, "warnings": 0, "breaches": 0}


def minutes(n: float) -> timedelta:
    """A duration in minutes."""
    return timedelta(minutes=n)


@pytest.fixture
def people(app, soporte, admin):
    """Mantenimiento (the type's area): a technician, a supervisor, a former member."""
    area = db.session.scalars(select(Area).where(Area.name == "Mantenimiento")).one()
    tech = make_user(
        Role.COLLABORATOR, "tec@example.org", "Tomás Técnico", areas=[area], language="en"
    )
    tech.timezone = "America/Santiago"
    boss = make_user(Role.COLLABORATOR, "jefa@example.org", "Julia Jefa", areas=[area])
    gone = make_user(Role.COLLABORATOR, "ex@example.org", "Ex Miembro", areas=[area], active=False)
    db.session.execute(
        update(area_members).where(area_members.c.user_id == boss.id).values(supervisor=True)
    )
    db.session.commit()
    return {"tech": tech, "boss": boss, "gone": gone, "admin": admin}


def escalate(app) -> dict[str, int]:
    """Run one pass through the CLI; its JSON line, once its mail left (in-process)."""
    result = app.test_cli_runner().invoke(args=["sla-escalate"])
    assert result.exit_code == 0, result.output
    assert courier.wait_idle(app, 60)
    return json.loads(result.output.strip().splitlines()[-1])


def sla_mail(mailbox, kind: str) -> dict[str, int]:
    """How many mails of a kind ("sla_warning", "sla_breach") each address received."""
    db.session.rollback()
    ids = set(
        db.session.scalars(select(OutboxMessage.message_id).where(OutboxMessage.kind == kind))
    )
    counts: dict[str, int] = {}
    for message in mailbox.messages:
        if message["Message-ID"] in ids:
            counts[message["To"]] = counts.get(message["To"], 0) + 1
    return counts


def sla_events(number: int) -> list[tuple[str, str | None]]:
    """The warnings and breaches recorded on a ticket: (change, clock)."""
    found = ticket(number)
    rows = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == found.id, TicketEvent.kind == "sla")
        .order_by(TicketEvent.id)
    )
    return [
        (row.data["change"], row.data.get("clock"))
        for row in rows
        if row.data["change"] in ("warning", "breach")
    ]


def test_warned_once_at_75_percent_then_breached_once_to_supervisors_and_admins(
    app, people, client_api, admin_api, mailbox
):
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        for at in (10, 44):
            clock.move_to(T0 + minutes(at))
            assert escalate(app) == NOTHING
        clock.move_to(T0 + minutes(45))  # 75 % of the hour to the first response
        assert escalate(app) == {"checked": 1, "warnings": 1, "breaches": 0}
        for at in (45, 46, 59):
            clock.move_to(T0 + minutes(at))
            assert escalate(app) == NOTHING
        clock.move_to(T0 + minutes(60))
        assert escalate(app) == {"checked": 1, "warnings": 0, "breaches": 1}
        clock.move_to(T0 + minutes(61))
        assert escalate(app) == NOTHING

    # The unassigned ticket's warning went to the area's active staff, once each.
    assert sla_mail(mailbox, "sla_warning") == {"tec@example.org": 1, "jefa@example.org": 1}
    # The breach to the area's supervisor and the administrators, not to the technician.
    assert sla_mail(mailbox, "sla_breach") == {"jefa@example.org": 1, "admin@example.org": 1}
    assert sla_events(number) == [("warning", "response"), ("breach", "response")]
    # The timeline reads them (internal: the desk sees them, the client does not).
    history = admin_api.get(f"/tickets/{number}/history")
    assert history.status_code == 200, history.get_json()
    assert client_api.get(f"/tickets/{number}/history").status_code == 200
    web = app.test_client()
    login(web, people["admin"].email)
    assert web.get(f"/tablero/tickets/{number}").status_code == 200
    stored = ticket(number)
    assert stored.sla_response_breached is True
    assert stored.sla_escalate_at == T0 + minutes(180)  # next: the resolution's warning

    # The mail names the target, its due in the reader's zone, and links the desk's page.
    [warning] = [m for m in mailbox.to("tec@example.org") if "due soon" in m["Subject"]]
    body = mailbox.text_of(warning)
    assert warning["Subject"] == f"[#{number}] First response due soon — Fuga de agua"
    assert "The first response to this ticket is due on" in body
    assert "Mar 2, 2026, 8:00 AM (America/Santiago)" in body  # 11:00 UTC, in Chile's summer
    assert f"/tablero/tickets/{number}" in body
    [spanish] = [m for m in mailbox.to("jefa@example.org") if "vencid" in m["Subject"].lower()]
    assert "Primera respuesta vencida" in spanish["Subject"]
    assert "11:00 (UTC)" in mailbox.text_of(spanish)


def test_an_assigned_ticket_warns_its_owner_only(app, people, client_api, admin_api, mailbox):
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        answer = admin_api.post(
            f"/tickets/{number}/assign", json={"assignee_id": people["tech"].id}
        )
        assert answer.status_code == 200, answer.get_json()
        clock.move_to(T0 + minutes(50))
        assert escalate(app)["warnings"] == 1
    assert sla_mail(mailbox, "sla_warning") == {"tec@example.org": 1}


def test_paused_tickets_are_never_warned(app, people, client_api, admin_api, mailbox):
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        clock.move_to(T0 + minutes(10))
        set_status(admin_api, number, "waiting")
        for at in (45, 60, 300, 10_000):
            clock.move_to(T0 + minutes(at))
            assert escalate(app) == NOTHING
    assert sla_events(number) == []
    assert sla_mail(mailbox, "sla_warning") == sla_mail(mailbox, "sla_breach") == {}


def test_a_met_clock_is_not_warned_and_the_other_still_is(
    app, people, client_api, admin_api, mailbox
):
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        clock.move_to(T0 + minutes(10))
        write(admin_api, number, "Vamos en camino")  # the first response, met
        for at in (45, 60, 179):
            clock.move_to(T0 + minutes(at))
            assert escalate(app) == NOTHING
        clock.move_to(T0 + minutes(180))  # 75 % of the resolution's four hours
        assert escalate(app) == {"checked": 1, "warnings": 1, "breaches": 0}
    assert sla_events(number) == [("warning", "resolution")]
    [mail] = [m for m in mailbox.to("tec@example.org") if "due soon" in m["Subject"]]
    assert "Resolution due soon" in mail["Subject"]
    assert "The resolution of this ticket is due on" in mailbox.text_of(mail)


def test_a_reopened_ticket_is_warned_again_in_its_new_period(
    app, people, client_api, admin_api, mailbox
):
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        clock.move_to(T0 + minutes(10))
        write(admin_api, number, "Vamos en camino")
        clock.move_to(T0 + minutes(200))
        assert escalate(app)["warnings"] == 1  # the resolution's
        set_status(admin_api, number, "resolved")
        clock.move_to(T0 + minutes(300))
        assert escalate(app) == NOTHING
        answer = client_api.post(f"/tickets/{number}/reopen", json={})
        assert answer.status_code == 200, answer.get_json()
        clock.move_to(T0 + minutes(300 + 179))
        assert escalate(app) == NOTHING
        clock.move_to(T0 + minutes(300 + 180))
        assert escalate(app) == {"checked": 1, "warnings": 1, "breaches": 0}
        clock.move_to(T0 + minutes(300 + 200))
        assert escalate(app) == NOTHING
    assert sla_events(number) == [("warning", "resolution"), ("warning", "resolution")]
    assert sla_mail(mailbox, "sla_warning") == {"tec@example.org": 2, "jefa@example.org": 2}


def test_two_passes_at_once_send_each_warning_once(app, people, client_api, mailbox):
    """Two workers (or two web processes) run their passes at the same instant."""
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        numbers = [file(client_api) for _ in range(6)]
        clock.move_to(T0 + minutes(50))
        barrier = threading.Barrier(2)
        tallies: list[dict[str, int]] = []
        errors: list[BaseException] = []

        def run() -> None:
            with app.app_context():
                try:
                    barrier.wait(timeout=10)
                    tallies.append(escalation.run_pass().as_dict())
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert courier.wait_idle(app, 60)
    assert errors == []
    # Both saw the six tickets; between them they sent each warning once.
    assert [t["checked"] for t in tallies] == [6, 6]
    assert sum(t["warnings"] for t in tallies) == 6
    assert sla_mail(mailbox, "sla_warning") == {"tec@example.org": 6, "jefa@example.org": 6}
    for number in numbers:
        assert sla_events(number) == [("warning", "response")]


def test_redis_down_during_a_pass_loses_no_warning(app, people, client_api, mailbox):
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        file(client_api)
        clock.move_to(T0 + minutes(50))
        app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens
        try:
            assert escalate(app)["warnings"] == 1
        finally:
            app.config["REDIS_URL"] = ""
        db.session.rollback()
        kept = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "sla_warning")
        ).all()
        # The warning is written, waiting in the outbox; nothing left yet.
        assert sorted(m.recipient for m in kept) == ["jefa@example.org", "tec@example.org"]
        assert {m.status for m in kept} == {OutboxStatus.PENDING}
        assert sla_mail(mailbox, "sla_warning") == {}
        # Redis is back (here: the embedded relay): the relay sends them, once.
        fanout.relay_pass()
        assert escalate(app) == NOTHING
    assert sla_mail(mailbox, "sla_warning") == {"tec@example.org": 1, "jefa@example.org": 1}


def test_the_embedded_ticker_runs_passes_by_itself_and_stops(app, people, client_api, mailbox):
    """Without Redis each web process runs the escalation in a thread started with it."""
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False):
        number = file(client_api)  # long overdue by the real clock
    app.config["SLA_ESCALATE_SECONDS"] = 0.2
    try:
        assert client_api.get("/me").status_code == 200  # the first request starts it
        ticker = app.extensions[escalation.EXTENSION]
        assert ticker.thread.is_alive()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(sla_events(number)) < 2:
            time.sleep(0.1)
    finally:
        app.config["SLA_ESCALATE_SECONDS"] = 0
        escalation.stop(app)
    assert not ticker.thread.is_alive()
    # Both clocks were past due: one breach each, and no warning (it is moot by then).
    assert sorted(sla_events(number)) == [("breach", "resolution"), ("breach", "response")]
    assert courier.wait_idle(app, 60)
    assert sla_mail(mailbox, "sla_breach") == {"jefa@example.org": 2, "admin@example.org": 2}


def test_the_worker_runs_the_escalation(app, people, client_api, mailbox):
    """`flask worker --burst` runs one pass and mails its warnings through rq."""
    import os
    import uuid

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("needs TEST_REDIS_URL")
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False):
        file(client_api)
    app.config.update(REDIS_URL=url, RQ_QUEUE=f"sd-{uuid.uuid4().hex[:8]}")
    try:
        result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    finally:
        app.config.update(REDIS_URL="", RQ_QUEUE="servicedesk-mail")
    assert result.exit_code == 0, result.output
    assert sla_mail(mailbox, "sla_breach") == {"jefa@example.org": 2, "admin@example.org": 2}


def test_the_selection_reads_the_escalation_index_on_postgresql(app, people):
    """At 100,000 tickets a pass reads only those near a threshold: an index range."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("EXPLAIN check is for PostgreSQL")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE tickets")
        conn.exec_driver_sql("SET enable_seqscan = off")
        for after in (None, (utcnow(), 5)):
            compiled = escalation.due(utcnow(), after).compile(db.engine)
            plan = "\n".join(
                row[0] for row in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
            )
            assert "ix_tickets_sla_escalate" in plan, plan
            assert "Seq Scan on tickets" not in plan, plan


def test_two_areas_staff_are_told_apart(app, people, client_api, collaborator, mailbox):
    """A member of another area (Seguridad) hears nothing of Mantenimiento's tickets."""
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        file(client_api)
        clock.move_to(T0 + minutes(60))
        escalate(app)
    assert "colab@example.org" not in sla_mail(mailbox, "sla_breach")
    assert "colab@example.org" not in sla_mail(mailbox, "sla_warning")
    assert db.session.scalar(select(Ticket.sla_escalate_at)) == T0 + minutes(180)


def elsewhere(app, work):  # noqa: ANN001, ANN201
    """Run work in a thread of its own app context (its own session), as another process."""
    results = []

    def run() -> None:
        with app.app_context():
            try:
                results.append(work())
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert courier.wait_idle(app, 60)
    return results[0]


def test_a_reply_read_before_a_pass_does_not_undo_its_warning(
    app, people, client_api, admin_api, mailbox
):
    """A reply whose request read the ticket before a pass committed a warning writes the
    clocks, not the older warning bits: the warning is not sent a second time."""
    add_policy("Lenta", 600, 240, default=True)  # the resolution warns first, at 180 min
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        clock.move_to(T0 + minutes(190))
        stale = ticket(number)  # what the first reply's request read
        assert stale.sla_notified == 0
        assert elsewhere(app, escalation.run_pass).warnings == 1  # a pass commits meanwhile
        assert stale.sla_notified == 0  # the request still holds what it read
        workflow.reply(people["admin"], stale, "Vamos en camino")  # meets the first response
        db.session.commit()
        assert ticket(number).sla_notified == RESOLUTION_WARNED
        # The reply planned the next instant from the older bits: the pass looks again,
        # finds the warning sent, and sends nothing.
        clock.move_to(T0 + minutes(200))
        assert escalate(app) == {"checked": 1, "warnings": 0, "breaches": 0}
        assert escalate(app) == NOTHING
    assert sla_events(number) == [("warning", "resolution")]
    assert sla_mail(mailbox, "sla_warning") == {"tec@example.org": 1, "jefa@example.org": 1}


def test_a_ticket_whose_mail_fails_is_tried_again_without_holding_up_the_others(
    app, people, client_api, mailbox, monkeypatch
):
    add_policy("Normal", 60, 240, default=True)
    real, calls = events.sla_warning, []

    def broken_once(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(args[0].number)
        if len(calls) == 1:
            raise RuntimeError("template broken")
        return real(*args, **kwargs)

    monkeypatch.setattr(events, "sla_warning", broken_once)
    with time_machine.travel(T0, tick=False) as clock:
        first, second = file(client_api), file(client_api)
        clock.move_to(T0 + minutes(50))
        assert escalate(app) == {"checked": 2, "warnings": 1, "breaches": 0}
        assert sla_events(first) == [] and sla_events(second) == [("warning", "response")]
        assert escalate(app) == {"checked": 1, "warnings": 1, "breaches": 0}
    assert sla_events(first) == [("warning", "response")]
    assert sla_mail(mailbox, "sla_warning") == {"tec@example.org": 2, "jefa@example.org": 2}


def test_an_area_without_staff_has_its_warnings_sent_to_the_administrators(
    app, soporte, admin, client_api, mailbox
):
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        file(client_api)
        clock.move_to(T0 + minutes(50))
        assert escalate(app)["warnings"] == 1
    assert sla_mail(mailbox, "sla_warning") == {"admin@example.org": 1}
