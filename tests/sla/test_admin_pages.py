"""Administración → Service Desk, service levels: calendars, area calendars and supervisors,
policies with versions and order, and recomputing the open tickets; over HTTP, checking the
database."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    SlaCalendar,
    SlaPhase,
    SlaPolicy,
    SlaPolicyVersion,
    SlaRecompute,
    TicketEvent,
    area_members,
)
from tests.admin.helpers import post
from tests.api.conftest import NEW
from tests.conftest import login
from tests.sla.test_clock import T0, add_policy, ticket

CALENDARS = "/administracion/calendarios"
POLICIES = "/administracion/politicas"
WEEK = {f"day-{d}": "09:00-13:00, 14:00-18:00" for d in range(5)} | {"day-5": "", "day-6": ""}


@pytest.fixture
def signed_in(client, admin):
    login(client, admin.email)
    return client


def calendar(name: str) -> SlaCalendar | None:
    db.session.expire_all()
    return db.session.scalar(select(SlaCalendar).where(SlaCalendar.name == name))


def policy(name: str) -> SlaPolicy | None:
    db.session.expire_all()
    return db.session.scalar(select(SlaPolicy).where(SlaPolicy.name == name))


def recompute(client) -> SlaRecompute:
    """Confirm "Recalcular tickets abiertos" and wait for its job to end; the run as stored."""
    response = post(client, POLICIES + "/recalcular")
    assert response.status_code == 302, response.get_data(as_text=True)
    found = re.fullmatch(POLICIES + r"/recalcular/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return finished_run(int(found.group(1)))


def finished_run(run_id: int) -> SlaRecompute:
    """Poll the run until its job ends (sleeps, so it works under a frozen clock too)."""
    for _n in range(1200):
        db.session.rollback()
        run = db.session.get(SlaRecompute, run_id, populate_existing=True)
        if run is not None and run.status in ("done", "failed"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"recompute {run_id} did not finish")


def calendar_form(**changes) -> dict:
    form = {"name": "Oficina", "zone": "America/Santiago", **WEEK}
    form.update(
        {
            "holiday-0-date": "18/09/2026",
            "holiday-0-name": "Fiestas Patrias",
            "holiday-0-yearly": "1",
            "holiday-1-date": "",
            "holiday-1-name": "",
        }
    )
    form.update(changes)
    return form


def test_create_a_calendar_with_ranges_and_holidays(signed_in):
    response = post(signed_in, CALENDARS + "/nuevo", calendar_form(is_default="1"))
    assert response.status_code == 302, response.get_data(as_text=True)
    row = calendar("Oficina")
    assert row.zone == "America/Santiago" and row.is_default
    assert row.hours["0"] == [[540, 780], [840, 1080]] and row.hours["5"] == []
    assert row.holidays == [{"date": "2026-09-18", "name": "Fiestas Patrias", "yearly": True}]
    page = signed_in.get(CALENDARS).get_data(as_text=True)
    assert "Oficina" in page and "09:00-13:00, 14:00-18:00" in page
    # The edit page shows the date in the page's language.
    edit = signed_in.get(f"{CALENDARS}/{row.id}").get_data(as_text=True)
    assert 'value="18/09/2026"' in edit and 'value="09:00-13:00, 14:00-18:00"' in edit


def test_edit_a_calendar_24h_closed_and_a_new_default(signed_in):
    post(signed_in, CALENDARS + "/nuevo", calendar_form(is_default="1"))
    first = calendar("Oficina")
    changes = {f"day-{d}": "24 h" for d in range(7)} | {"day-6": "cerrado"}
    form = calendar_form(name="Guardia", zone="UTC", is_default="1", **changes)
    form["holiday-0-date"] = form["holiday-0-name"] = ""  # emptied: removed
    assert post(signed_in, CALENDARS + "/nuevo", form).status_code == 302
    second = calendar("Guardia")
    assert second.hours["0"] == [[0, 1440]] and second.hours["6"] == []
    assert second.holidays == [] and second.is_default
    assert not calendar("Oficina").is_default  # one default
    # Renaming keeps the row.
    response = post(signed_in, f"{CALENDARS}/{first.id}", calendar_form(name="Oficina central"))
    assert response.status_code == 302
    assert db.session.get(SlaCalendar, first.id).name == "Oficina central"


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("day-0", "18:00-09:00", "termina antes de empezar"),
        ("day-1", "09:00-13:00, 12:00-18:00", "se superponen"),
        ("day-2", "nueve a doce", "no es un rango horario"),
        ("day-3", "09:00-25:00", "no es un rango horario"),
        ("holiday-0-date", "31/02/2026", "dd/mm/aaaa"),
        ("holiday-0-date", "", "Indica la fecha del feriado"),
        ("zone", "Marte/Olimpo", "no es una zona horaria"),
        ("name", "", "Escribe un nombre"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_says_why(signed_in, field, typed, message):
    response = post(signed_in, CALENDARS + "/nuevo", calendar_form(**{field: typed}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page and 'aria-invalid="true"' in page
    if typed and field != "zone":
        assert f'value="{typed}"' in page
    assert 'value="Fiestas Patrias"' in page or field.startswith("holiday")
    assert db.session.scalar(select(func.count()).select_from(SlaCalendar)) == 0


def test_errors_in_english_for_an_english_page(signed_in, admin):
    admin.language = "en"
    db.session.commit()
    form = calendar_form(**{"day-0": "18:00-09:00", "holiday-0-date": "09/18/2026"})
    response = post(signed_in, CALENDARS + "/nuevo", form)
    assert response.status_code == 400 and "ends before it starts" in response.get_data(
        as_text=True
    )
    # The English page reads the date month first: it was fine.
    assert "holiday-0-date-error" not in response.get_data(as_text=True)


def test_area_calendar_and_supervisors(signed_in, collaborator):
    post(signed_in, CALENDARS + "/nuevo", calendar_form(name="Guardia"))
    guardia = calendar("Guardia")
    area = db.session.scalar(select(Area).where(Area.name == "Seguridad"))
    path = f"/administracion/areas/{area.id}"
    page = signed_in.get(path).get_data(as_text=True)
    assert "Guardia" in page and "supervisors-" in page
    form = {
        "name": "Seguridad",
        "members": str(collaborator.id),
        "supervisors": str(collaborator.id),
        "calendar": str(guardia.id),
    }
    assert post(signed_in, path, form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Area, area.id).calendar_id == guardia.id
    flags = db.session.execute(
        select(area_members.c.user_id, area_members.c.supervisor).where(
            area_members.c.area_id == area.id
        )
    ).all()
    assert flags == [(collaborator.id, True)]
    assert "Guardia" in signed_in.get("/administracion/areas").get_data(as_text=True)
    # Back to the default, no supervisor; a non-member cannot be one.
    post(signed_in, path, {"name": "Seguridad", "members": str(collaborator.id), "calendar": ""})
    db.session.expire_all()
    assert db.session.get(Area, area.id).calendar_id is None
    assert db.session.scalar(select(area_members.c.supervisor)) is False
    bad = post(signed_in, path, {"name": "Seguridad", "supervisors": str(collaborator.id)})
    assert bad.status_code == 400 and "miembros del área" in bad.get_data(as_text=True)
    unknown = post(signed_in, path, {"name": "Seguridad", "calendar": "999999"})
    assert unknown.status_code == 400


def policy_form(**changes) -> dict:
    form = {
        "name": "Urgente",
        "priorities": ["urgent", "high"],
        "response_hours": "0",
        "response_minutes": "30",
        "resolution_hours": "4",
        "resolution_minutes": "",
        "warn_percent": "80",
        "active": "1",
    }
    form.update(changes)
    return form


def test_create_and_edit_a_policy_makes_versions(signed_in):
    assert post(signed_in, POLICIES + "/nueva", policy_form()).status_code == 302
    row = policy("Urgente")
    v1 = db.session.scalars(select(SlaPolicyVersion)).one()
    assert (row.current_version, v1.number) == (1, 1)
    assert v1.priorities == ["high", "urgent"] and v1.first_response_minutes == 30
    assert v1.resolution_minutes == 240 and v1.warn_percent == 80
    # Only the name changes: no new version.
    post(signed_in, f"{POLICIES}/{row.id}", policy_form(name="Urgentes"))
    assert policy("Urgentes").current_version == 1
    # A target changes: version 2, version 1 kept as it was.
    post(signed_in, f"{POLICIES}/{row.id}", policy_form(name="Urgentes", resolution_hours="6"))
    row = policy("Urgentes")
    versions = db.session.scalars(select(SlaPolicyVersion).order_by(SlaPolicyVersion.number))
    assert [(v.number, v.resolution_minutes) for v in versions] == [(1, 240), (2, 360)]
    assert row.current_version == 2
    page = signed_in.get(f"{POLICIES}/{row.id}").get_data(as_text=True)
    assert 'data-testid="version-1"' in page and 'data-testid="version-2"' in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"response_minutes": "75"}, "response_minutes", "de 0 a 59"),
        ({"resolution_hours": "cuatro"}, "resolution_hours", "horas enteras"),
        ({"response_hours": "0", "response_minutes": "0"}, "response_hours", "mayor que cero"),
        ({"warn_percent": "150"}, "warn_percent", "de 1 a 99"),
        ({"priorities": ["muy alta"]}, "priorities", "Elige prioridades"),
        ({"area_ids": ["999999"]}, "area_ids", "Elige áreas"),
        ({"name": ""}, "name", "Escribe un nombre"),
    ],
)
def test_bad_policy_input_keeps_values(signed_in, changes, field, message):
    response = post(signed_in, POLICIES + "/nueva", policy_form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page
    assert f'value="{changes.get("warn_percent", "80")}"' in page  # what was typed stays
    assert db.session.scalar(select(func.count()).select_from(SlaPolicy)) == 0


def test_no_target_and_one_default(signed_in):
    post(signed_in, POLICIES + "/nueva", policy_form(name="Normal", is_default="1", priorities=[]))
    post(
        signed_in,
        POLICIES + "/nueva",
        policy_form(name="Otra", is_default="1", response_hours="", response_minutes=""),
    )
    assert not policy("Normal").is_default and policy("Otra").is_default
    version = db.session.scalars(
        select(SlaPolicyVersion).where(SlaPolicyVersion.policy_id == policy("Otra").id)
    ).one()
    assert version.first_response_minutes is None and version.resolution_minutes == 240


def test_order_moves_up_and_down(signed_in):
    for name in ("A", "B", "C"):
        post(signed_in, POLICIES + "/nueva", policy_form(name=name))

    def order():
        page = signed_in.get(POLICIES).get_data(as_text=True)
        return [
            db.session.get(SlaPolicy, int(i)).name for i in re.findall(r"policy-row-(\d+)", page)
        ]

    assert order() == ["A", "B", "C"]
    post(signed_in, f"{POLICIES}/{policy('C').id}/subir")
    assert order() == ["A", "C", "B"]
    post(signed_in, f"{POLICIES}/{policy('A').id}/bajar")
    assert order() == ["C", "A", "B"]
    post(signed_in, f"{POLICIES}/{policy('C').id}/subir")  # already first: stays
    assert order() == ["C", "A", "B"]


def test_an_edit_leaves_open_tickets_on_their_version_until_recomputed(
    signed_in, client_api, soporte, admin
):
    with time_machine.travel(T0, tick=False):
        login(signed_in, admin.email)  # a session from the travelled clock's present
        v1 = add_policy("Normal", 60, 8 * 60, default=True)
        numbers = [client_api.post("/tickets", json=NEW).json["number"] for _n in range(3)]
        closed = client_api.post("/tickets", json=NEW).json["number"]
        t = ticket(closed)
        t.status = "closed"
        db.session.commit()
        before = {n: ticket(n).sla_response_due for n in numbers}
        assert before[numbers[0]] == T0 + timedelta(hours=1)
        row = policy("Normal")
        form = policy_form(
            name="Normal", priorities=[], is_default="1", response_hours="2", response_minutes=""
        )
        post(signed_in, f"{POLICIES}/{row.id}", form)
        v2 = db.session.scalar(select(SlaPolicyVersion).where(SlaPolicyVersion.number == 2))
        # Tickets keep version 1; a new one gets version 2.
        assert {ticket(n).sla_version_id for n in numbers} == {v1.id}
        newer = client_api.post("/tickets", json=NEW).json["number"]
        assert ticket(newer).sla_version_id == v2.id
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        page = signed_in.get(POLICIES + "/recalcular").get_data(as_text=True)
        assert 'data-changing="3"' in page
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(TicketEvent)
                .where(TicketEvent.data["reason"].as_string() == "recompute")
            )
            == 0
        )  # a GET writes nothing
        run = recompute(signed_in)
        assert (run.status, run.total_tickets, run.done_tickets, run.changed_tickets) == (
            "done",
            4,
            4,
            3,
        )  # the ticket filed under version 2 is looked at, and keeps it
    for n in numbers:
        t = ticket(n)
        assert t.sla_version_id == v2.id
        assert t.sla_response_due == T0 + timedelta(hours=2)  # from the filing, new target
        assert t.sla_phase == SlaPhase.RUNNING
        events = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.kind == "sla")
        ).all()
        retargeted = [e.data for e in events if e.data["change"] == "retargeted"]
        assert len(retargeted) == 1 and retargeted[0]["reason"] == "recompute"
        assert retargeted[0]["policy"] == "Normal"
    assert ticket(closed).sla_version_id == v1.id  # closed tickets keep their history
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        again = signed_in.get(POLICIES + "/recalcular").get_data(as_text=True)
    assert 'data-changing="0"' in again


def test_recompute_targets_tickets_filed_before_any_policy(signed_in, client_api, soporte, admin):
    with time_machine.travel(T0, tick=False):
        login(signed_in, admin.email)
        first = client_api.post("/tickets", json=NEW).json["number"]
        waiting = client_api.post("/tickets", json=NEW).json["number"]
        assert ticket(first).sla_version_id is None
        t = ticket(waiting)
        t.status = "waiting"
        db.session.commit()
        add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert 'data-changing="2"' in signed_in.get(POLICIES + "/recalcular").get_data(as_text=True)
        recompute(signed_in)
    assert ticket(first).sla_phase == SlaPhase.RUNNING
    assert ticket(first).sla_response_due == T0 + timedelta(hours=1)
    assert ticket(waiting).sla_phase == SlaPhase.PAUSED
    assert ticket(waiting).sla_paused_at == T0 + timedelta(minutes=30)


def test_recompute_in_batches(signed_in, client_api, soporte, monkeypatch, admin):
    monkeypatch.setattr("servicedesk.sla.admin.BATCH", 2)
    with time_machine.travel(T0, tick=False):
        login(signed_in, admin.email)
        numbers = [client_api.post("/tickets", json=NEW).json["number"] for _n in range(5)]
        add_policy("Normal", 60, 240, default=True)
        run = recompute(signed_in)
    assert all(ticket(n).sla_version_id is not None for n in numbers)
    assert (run.done_tickets, run.changed_tickets) == (5, 5)
    assert run.cursor_id == ticket(numbers[-1]).id
    count = select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "sla")
    assert db.session.scalar(count) == 5


def test_recompute_keeps_the_ticket_version_for_the_desk_forms(
    signed_in, client_api, soporte, admin
):
    with time_machine.travel(T0, tick=False):
        login(signed_in, admin.email)
        number = client_api.post("/tickets", json=NEW).json["number"]
        version = ticket(number).version
        add_policy("Normal", 60, 240, default=True)
        recompute(signed_in)
    assert ticket(number).version == version
    assert ticket(number).sla_version_id is not None


def test_admin_index_links_to_the_new_pages(signed_in):
    page = signed_in.get("/administracion/").get_data(as_text=True)
    assert f'href="{CALENDARS}"' in page and f'href="{POLICIES}"' in page


def failed_run() -> SlaRecompute:
    """A recompute that failed after its first batch, as a worker leaves it (its id)."""
    run = SlaRecompute(status="failed", active=None, error="boom", attempt=0, cursor_id=1)
    db.session.add(run)
    db.session.commit()
    return run


def routes(calendar_id: int, policy_id: int, run_id: int) -> list[tuple[str, str, dict]]:
    """Every service-level administration route, with valid data for a POST."""
    c, p = f"{CALENDARS}/{calendar_id}", f"{POLICIES}/{policy_id}"
    r = f"{POLICIES}/recalcular/{run_id}"
    return [
        ("GET", CALENDARS, {}),
        ("GET", CALENDARS + "/nuevo", {}),
        ("POST", CALENDARS + "/nuevo", calendar_form(name="Nuevo")),
        ("GET", c, {}),
        ("POST", c, calendar_form(name="Cambiado")),
        ("GET", POLICIES, {}),
        ("GET", POLICIES + "/nueva", {}),
        ("POST", POLICIES + "/nueva", policy_form(name="Nueva")),
        ("GET", p, {}),
        ("POST", p, policy_form(name="Cambiada", resolution_hours="9")),
        ("POST", p + "/subir", {}),
        ("POST", p + "/bajar", {}),
        ("GET", POLICIES + "/recalcular", {}),
        ("POST", POLICIES + "/recalcular", {}),
        ("GET", r, {}),
        ("POST", r + "/reintentar", {}),
    ]


def snapshot() -> tuple:
    db.session.expire_all()
    return (
        [
            (c.name, c.hours)
            for c in db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.id))
        ],
        [(p.name, p.position, p.current_version) for p in db.session.scalars(select(SlaPolicy))],
        db.session.scalar(select(func.count()).select_from(TicketEvent)),
        [
            (r.status, r.attempt)
            for r in db.session.scalars(select(SlaRecompute).order_by(SlaRecompute.id))
        ],
    )


@pytest.mark.parametrize("who", ["anonymous", "client_user", "collaborator"])
def test_only_administrators_reach_the_pages(request, client, who, admin, soporte):
    login(client, admin.email)
    post(client, CALENDARS + "/nuevo", calendar_form())
    post(client, POLICIES + "/nueva", policy_form(name="Otra"))
    post(client, POLICIES + "/nueva", policy_form())
    client.get("/logout")
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
    visitor = request.getfixturevalue(who) if who != "anonymous" else None
    web = client.application.test_client()
    home = "/login"
    if visitor is not None:
        login(web, visitor.email)
        home = "/mesa-de-ayuda/" if who == "client_user" else "/tablero/"
    ids = routes(calendar("Oficina").id, policy("Urgente").id, failed_run().id)
    for method, path, data in ids:
        before = snapshot()
        response = web.get(path) if method == "GET" else post(web, path, data, page=home)
        if visitor is None:
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/login?next="), path
        else:
            assert response.status_code == 403, (who, method, path)
        assert snapshot() == before, path


def test_every_post_needs_the_csrf_token(signed_in, soporte):
    post(signed_in, CALENDARS + "/nuevo", calendar_form())
    post(signed_in, POLICIES + "/nueva", policy_form())
    run_id = failed_run().id
    before = snapshot()
    for method, path, data in routes(calendar("Oficina").id, policy("Urgente").id, run_id):
        if method == "POST":
            assert signed_in.post(path, data=data).status_code == 400, path
    assert snapshot() == before


def test_unknown_ids_answer_404(signed_in):
    for path in (f"{CALENDARS}/999999", f"{POLICIES}/999999", f"{POLICIES}/recalcular/999999"):
        assert signed_in.get(path).status_code == 404
    for path in (
        f"{POLICIES}/999999/subir",
        f"{POLICIES}/999999/bajar",
        f"{CALENDARS}/999999",
        f"{POLICIES}/recalcular/999999/reintentar",
    ):
        assert post(signed_in, path, {"name": "x"}).status_code == 404


def test_a_calendar_drives_the_due_times_of_new_tickets(signed_in, client_api, soporte):
    """End to end: the form's calendar (9–18 on weekdays, in Santiago) sets a ticket's due."""
    post(
        signed_in,
        CALENDARS + "/nuevo",
        calendar_form(is_default="1", **{f"day-{d}": "09:00-18:00" for d in range(5)}),
    )
    add_policy("Normal", 60, None, default=True)
    friday_evening = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # 17:00 in Santiago (UTC-3)
    with time_machine.travel(friday_evening, tick=False):
        number = client_api.post("/tickets", json=NEW).json["number"]
    # One hour left at 17:00 Friday: the last hour of Friday is 17–18, due at 18:00 local.
    assert ticket(number).sla_response_due == datetime(2026, 3, 6, 21, 0, tzinfo=UTC)


def test_markup_typed_in_hours_comes_back_escaped(signed_in):
    typed = "<script>alert(1)</script>"
    response = post(signed_in, CALENDARS + "/nuevo", calendar_form(**{"day-0": typed}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert typed not in page and "&lt;script&gt;" in page
