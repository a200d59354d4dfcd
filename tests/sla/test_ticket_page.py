"""The desk's ticket page shows both clocks and reads the service-level events; clients see
neither (the portal page, the API's ticket and history)."""

from __future__ import annotations

import re

import time_machine

from servicedesk.extensions import db
from tests.conftest import login
from tests.sla.test_clock import T0, add_policy, file, minutes, set_status, write


def signed_in(app, email):
    """A web client signed in at T0 (sessions have an age)."""
    c = app.test_client()
    with time_machine.travel(T0, tick=False):
        login(c, email)
    return c


def clock_block(page: str, key: str) -> str:
    """The markup of one clock on the ticket page."""
    found = re.search(rf'data-sla-clock="{key}">(.*?)</div>', page, re.S)
    assert found, key
    return found.group(1)


def test_the_ticket_page_shows_both_clocks_and_the_sla_timeline(
    app, soporte, client_api, desk_api, collaborator, client_user
):
    add_policy("Normal", 60, 240, default=True)
    urgent = add_policy("Urgente", 30, 120, priorities=["urgent"])
    desk = signed_in(app, collaborator.email)
    portal = signed_in(app, client_user.email)
    with time_machine.travel(T0, tick=False) as clock:
        number = file(client_api)
        clock.move_to(T0 + minutes(20))
        set_status(desk_api, number, "waiting")
        clock.move_to(T0 + minutes(50))
        page = desk.get(f"/tablero/tickets/{number}").get_data(as_text=True)
        assert "Política: <strong>Normal</strong> · versión 1" in page
        response = clock_block(page, "response")
        assert "Primera respuesta" in response and ">En pausa<" in response
        assert "Objetivo (tiempo hábil)" in response and "1 h 00 min" in response
        paused_since = 'En pausa desde</dt><dd class="col-6"><time datetime="2026-03-02T10:20:00'
        assert paused_since in response
        assert "4 h 00 min" in clock_block(page, "resolution")

        clock.move_to(T0 + minutes(80))
        write(client_api, number, "Sigue goteando")  # resumes: dues move by 60 minutes
        clock.move_to(T0 + minutes(100))
        write(desk_api, number, "Vamos en camino")  # on time: due at 120 after the pause
        answer = desk_api.get(f"/tickets/{number}")
        patched = desk_api.patch(
            f"/tickets/{number}",
            json={"priority": "urgent"},
            headers={"If-Match": answer.headers["ETag"]},
        )
        assert patched.status_code == 200
        clock.move_to(T0 + minutes(200))
        set_status(desk_api, number, "resolved")
        page = desk.get(f"/tablero/tickets/{number}").get_data(as_text=True)
        assert "<strong>Urgente</strong>" in page and urgent.number == 1
        response = clock_block(page, "response")
        assert ">Cumplido<" in response and "Tiempo hábil empleado" in response
        assert "40 min" in response  # 100 minutes elapsed, 60 of them paused
        resolution = clock_block(page, "resolution")
        assert ">Vencido<" in resolution and "2 h 20 min" in resolution

        timeline = re.search(r'data-testid="timeline">(.*?)</ol>', page, re.S).group(1)
        for sentence in (
            "Objetivos asignados: política Normal",
            "Reloj en pausa (esperando al cliente)",
            "Reloj reanudado",
            "Primera respuesta cumplida",
            "Reasignado por cambio de prioridad: política Urgente",
            "Resolución incumplida",
        ):
            assert sentence in timeline, sentence
        # The resumption moved the dues: shown from → to in the reader's time.
        moved = "Vence la primera respuesta: <del>2/3/26, 11:00</del> → <ins>2/3/26, 12:00</ins>"
        assert moved in timeline

        # Clients: no clocks on their page, no service-level entry in the API's history.
        mine = portal.get(f"/mesa-de-ayuda/tickets/{number}").get_data(as_text=True)
        assert "data-sla" not in mine and "Política" not in mine
        history = client_api.get(f"/tickets/{number}/history").get_json()["items"]
        assert history and all(item["kind"] != "sla" for item in history)
        desk_history = desk_api.get(f"/tickets/{number}/history").get_json()["items"]
        sla_items = [item for item in desk_history if item["kind"] == "sla"]
        assert len(sla_items) == 6 and all(item["internal"] for item in sla_items)


def test_a_ticket_without_a_policy_shows_no_clocks(app, soporte, client_api, collaborator):
    desk = signed_in(app, collaborator.email)
    with time_machine.travel(T0, tick=False):
        number = file(client_api)
        page = desk.get(f"/tablero/tickets/{number}").get_data(as_text=True)
    assert 'data-testid="sla"' not in page
    db.session.rollback()
