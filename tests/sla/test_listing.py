"""Service levels on the lists: the SQL states agree with the clocks; the Tablero's "Vencidos"
and "En riesgo" views, its state filter and its "next due first" sort; the API's ``sla``
object, filter and sort. Tickets are filed and worked through the API under a controllable
clock, then read through the Tablero and the API at chosen instants."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import SlaState, Ticket
from servicedesk.sla import listing as sla_listing
from servicedesk.sla.service import state_of
from tests.conftest import login, recorded_statements
from tests.factories import make_ticket
from tests.sla.test_clock import T0, add_policy, file, minutes, set_status, ticket, write
from tests.tickets.test_dashboard import explained_plans

# Instants the states are read at: before a warning, at risk, past a due, much later.
INSTANTS = [0, 30, 44, 45, 50, 60, 61, 110, 179, 180, 200, 239, 240, 241, 1000]


@pytest.fixture
def spread(soporte, client_api, desk_api):
    """One ticket per state, worked through the API (policy Normal: 60 / 240 minutes).

    none: filed before any policy; running: untouched; waiting: paused at +10; answered: a
    public reply at +10 (its resolution still counts); met: answered and resolved at +20;
    late: resolved at +100, its first response then measured late.
    """
    with time_machine.travel(T0 - minutes(5), tick=False) as clock:
        none = file(client_api)
        add_policy("Normal", 60, 240, default=True)
        clock.move_to(T0)
        running, waiting, answered, met, late = (file(client_api) for _ in range(5))
        clock.move_to(T0 + minutes(10))
        set_status(desk_api, waiting, "waiting")
        write(desk_api, answered, "Vamos en camino")
        write(desk_api, met, "Vamos en camino")
        clock.move_to(T0 + minutes(20))
        set_status(desk_api, met, "resolved")
        clock.move_to(T0 + minutes(100))
        set_status(desk_api, late, "resolved")
    return {
        "none": none,
        "running": running,
        "waiting": waiting,
        "answered": answered,
        "met": met,
        "late": late,
    }


def test_the_sql_states_agree_with_the_clocks_at_every_instant(spread):
    """Each ticket is in exactly one SQL state at each instant, the one clock.state says."""
    ids = {number: ticket(number).id for number in spread.values()}
    seen = set()
    for offset in INSTANTS:
        now = T0 + minutes(offset)
        by_sql: dict[int, list[str]] = {}
        for state in SlaState:
            found = db.session.scalars(
                select(Ticket.id).where(
                    sla_listing.condition(state, now), Ticket.id.in_(ids.values())
                )
            )
            for ticket_id in found:
                by_sql.setdefault(ticket_id, []).append(state.value)
        for number, ticket_id in ids.items():
            python = state_of(ticket(number), now)
            assert by_sql.get(ticket_id) == [python.value], (offset, number)
            seen.add(python.value)
    assert seen == set(SlaState.values())  # every state was met on the way


@pytest.fixture
def desk(app, collaborator):
    """The Tablero as a collaborator (Spanish), signed in at T0 (sessions have an age)."""
    c = app.test_client()
    with time_machine.travel(T0, tick=False):
        login(c, collaborator.email)
    return c


def numbers(page: str) -> list[int]:
    """Ticket numbers listed on a Tablero page, in order."""
    return [int(n) for n in re.findall(r'data-ticket-row="(\d+)"', page)]


def counts(page: str) -> dict[str, str]:
    """The view counts of the Tablero's tabs."""
    return dict(re.findall(r'data-testid="view-(\w+)">[^<]*<span class="badge[^"]*">([^<]+)', page))


def test_overdue_and_at_risk_views_with_counts_states_and_dues(spread, desk, collaborator):
    with time_machine.travel(T0 + minutes(110), tick=False):
        page = desk.get("/tablero/?view=vencidos").get_data(as_text=True)
        assert numbers(page) == [spread["running"]]
        assert counts(page)["vencidos"] == "1" and counts(page)["en_riesgo"] == "0"
        # Text and colour: the words are in the badge; the due in the reader's time.
        assert re.search(r'class="badge sla-breached" data-sla-state="breached">Vencido<', page)
        assert 'datetime="2026-03-02T11:00:00+00:00"' in page
        assert 'data-label="Vence"' in page and 'data-label="Nivel de servicio"' in page
        # Every line says its state; "none" says nothing.
        history = desk.get("/tablero/?view=historial").get_data(as_text=True)
        states = dict(
            (int(n), s)
            for n, s in re.findall(
                r'data-ticket-row="(\d+)".*?(?:data-sla-state="(\w+)"|</tr>)', history
            )
        )
        assert states == {
            spread["none"]: "",
            spread["running"]: "breached",
            spread["waiting"]: "paused",
            spread["answered"]: "on_time",
            spread["met"]: "met",
            spread["late"]: "breached",
        }
    with time_machine.travel(T0 + minutes(200), tick=False):
        page = desk.get("/tablero/?view=en_riesgo").get_data(as_text=True)
        assert numbers(page) == [spread["answered"]]
        assert counts(page)["en_riesgo"] == "1"
        assert ">En riesgo<" in page
    # English, and the reader's own zone for the due.
    collaborator.language, collaborator.timezone = "en", "America/Santiago"
    db.session.commit()
    with time_machine.travel(T0 + minutes(110), tick=False):
        page = desk.get("/tablero/?view=vencidos").get_data(as_text=True)
    assert ">Overdue<" in page and "Past due" in page
    assert "8:00" in page  # 11:00 UTC is 08:00 in Santiago (UTC-3 in March)


def test_the_state_filter_takes_several_states(spread, desk):
    with time_machine.travel(T0 + minutes(110), tick=False):
        page = desk.get("/tablero/?view=historial&sla_state=paused&sla_state=met")
        assert sorted(numbers(page.get_data(as_text=True))) == [spread["waiting"], spread["met"]]
        page = desk.get("/tablero/?view=historial&sla_state=breached").get_data(as_text=True)
        assert sorted(numbers(page)) == [spread["running"], spread["late"]]
        page = desk.get("/tablero/?view=historial&sla_state=none&sla_state=bogus")
        assert numbers(page.get_data(as_text=True)) == [spread["none"]]
        assert 'value="paused" selected' not in page.get_data(as_text=True)


@pytest.fixture
def dated(soporte, client_user):
    """Sixty-three tickets: some with dues (ties included), some without (paused, none)."""
    made = []
    for index in range(63):
        due = T0 + timedelta(hours=index % 7) if index % 3 else None
        made.append(
            make_ticket(
                client_user,
                soporte,
                f"Ticket {index}",
                sla_phase="running" if due else "paused",
                sla_next_due=due,
            )
        )
    return sorted(made, key=lambda t: (t.sla_next_due is None, t.sla_next_due or T0, t.id))


def test_next_due_first_pages_by_keyset_both_ways(dated, desk):
    with time_machine.travel(T0 + minutes(1), tick=False):
        check_due_pages(dated, desk)


def check_due_pages(dated, desk):
    """Forward, last, backward from a dated and from an undated cursor."""
    expected = [t.number for t in dated]
    first = desk.get("/tablero/?view=historial&sort=due").get_data(as_text=True)
    assert numbers(first) == expected[:50]
    assert ">Primero el próximo vencimiento<" in first.replace(" selected", "")
    last_id = max(t.id for t in dated if t.number == expected[49])
    second = desk.get(f"/tablero/?view=historial&sort=due&after={last_id}")
    assert numbers(second.get_data(as_text=True)) == expected[50:]
    last = desk.get("/tablero/?view=historial&sort=due&last=1").get_data(as_text=True)
    assert numbers(last) == expected[-50:]
    back_from = next(t.id for t in dated if t.number == expected[-50])
    before = desk.get(f"/tablero/?view=historial&sort=due&before={back_from}")
    assert numbers(before.get_data(as_text=True)) == expected[:13]
    # From an undated cursor backwards: the undated before it, then the dated.
    undated = next(t.id for t in dated if t.number == expected[-5])
    page = desk.get(f"/tablero/?view=historial&sort=due&before={undated}")
    assert numbers(page.get_data(as_text=True)) == expected[-55:-5]


def test_the_api_pages_by_due_with_a_cursor(dated, desk_api):
    seen, cursor = [], ""
    while True:
        answer = desk_api.get(f"/tickets?sort=due&limit=20{'&cursor=' + cursor if cursor else ''}")
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        seen += [item["number"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert seen == [t.number for t in dated]


def test_the_api_shows_service_levels_to_the_desk_only(spread, desk_api, client_api):
    with time_machine.travel(T0 + minutes(110), tick=False):
        one = desk_api.get(f"/tickets/{spread['waiting']}").get_json()
        assert one["sla"] == {
            "policy": "Normal",
            "first_response_due": "2026-03-02T11:00:00Z",
            "resolution_due": "2026-03-02T14:00:00Z",
            "state": "paused",
            "paused_since": "2026-03-02T10:10:00Z",
        }
        running = desk_api.get(f"/tickets/{spread['running']}").get_json()["sla"]
        assert running["state"] == "breached"
        assert running["first_response_due"] == "2026-03-02T11:00:00Z"
        assert running["resolution_due"] == "2026-03-02T14:00:00Z"
        assert desk_api.get(f"/tickets/{spread['none']}").get_json()["sla"] == {
            "policy": None,
            "first_response_due": None,
            "resolution_due": None,
            "state": "none",
            "paused_since": None,
        }
        listed = desk_api.get("/tickets?sla_state=breached&sla_state=paused").get_json()
        assert {i["number"]: i["sla"]["state"] for i in listed["items"]} == {
            spread["running"]: "breached",
            spread["late"]: "breached",
            spread["waiting"]: "paused",
        }
        overdue = desk_api.get("/tickets?view=vencidos").get_json()
        assert [i["number"] for i in overdue["items"]] == [spread["running"]]
        assert overdue["items"][0]["sla"]["policy"] == "Normal"
        # Clients: no service levels, and their filters on them are ignored.
        mine = client_api.get(f"/tickets/{spread['running']}").get_json()
        assert mine["sla"] is None
        listed = client_api.get("/tickets?sla_state=breached").get_json()
        assert len(listed["items"]) == len(spread)
        assert all(item["sla"] is None for item in listed["items"])
        assert len(client_api.get("/tickets?view=vencidos").get_json()["items"]) == len(spread)
        bad = desk_api.get("/tickets?sla_state=late")
        assert bad.status_code == 400


def test_a_page_reads_policy_names_in_one_query(spread, desk_api, app):
    """Policy names for a page of tickets come from one query, not one per line."""
    with recorded_statements(app) as statements:
        desk_api.get("/tickets?limit=50")
    assert len([s for s in statements if "sla_policies" in s]) == 1


@pytest.mark.parametrize(
    ("view", "index"),
    [("vencidos", "ix_tickets_sla_next_due"), ("en_riesgo", "ix_tickets_sla_warn")],
)
def test_the_sla_views_read_their_index_on_postgresql(spread, desk, view, index):
    """The views' page and count queries are index ranges on the SLA instants."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("EXPLAIN check is for PostgreSQL")
    with time_machine.travel(T0 + minutes(110), tick=False):
        plans = explained_plans(desk, f"/tablero/?view={view}")
    on_index = [plan for plan in plans if index in plan]
    # The page query and the view's own count, at least.
    assert len(on_index) >= 2, plans
    for plan in plans:
        assert "Seq Scan on tickets" not in plan, plan
