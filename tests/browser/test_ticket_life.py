"""One ticket through all three roles: filed with a photo, taken, answered, closed, rated."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Feedback, Status, Ticket
from tests.browser.test_admin_types import sign_in
from tests.tickets.conftest import PNG

pytestmark = pytest.mark.browser


def test_ticket_life_across_roles(
    browser, live_server, tmp_path, admin, client_user, collaborator, soporte, artifacts_dir
):
    photo = tmp_path / "fuga.png"
    photo.write_bytes(PNG)
    resident = browser.new_context(base_url=live_server).new_page()
    sign_in(resident, client_user.email)
    resident.goto("/mesa-de-ayuda/")
    resident.locator("a.btn-primary[href$='/nueva']").click()
    resident.get_by_role("link", name=re.compile("Soporte")).click()
    resident.fill("#subject", "Fuga de agua en el baño")
    resident.fill("#description", "Gotea desde anoche.")
    resident.fill("[name=cf-ubicacion]", "Depto 101")
    resident.select_option("[name=cf-categoria]", "agua")
    resident.set_input_files("#attachments", str(photo))
    resident.screenshot(path=str(artifacts_dir / "life-1-new.png"), full_page=True)
    resident.locator("form.fe-form button[type=submit]").click()
    resident.wait_for_url(re.compile(r".*/mesa-de-ayuda/tickets/\d+"))
    assert resident.locator("img.attachment-thumb").count() == 1
    number = int(resident.url.rsplit("/", 1)[1])

    agent = browser.new_context(base_url=live_server).new_page()
    sign_in(agent, collaborator.email)
    agent.goto("/tablero/")
    agent.get_by_role("link", name="Fuga de agua en el baño").click()
    agent.locator("form[action$='/tomar'] button").click()
    assert collaborator.name in agent.get_by_test_id("owner").inner_text()
    agent.fill("#body", "Nota: pedir repuesto al proveedor.")
    agent.check("#internal")
    agent.locator("form[action$='/responder'] button").click()
    agent.fill("#body", "Mañana a las 9 pasa el plomero.")
    agent.locator("form[action$='/responder'] button").click()
    agent.fill("#resolution", "Se cambió el empaque de la llave.")
    agent.locator("form[action$='/cerrar'] button").click()
    agent.screenshot(path=str(artifacts_dir / "life-2-desk.png"), full_page=True)
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.status == Status.CLOSED and ticket.assignee_id == collaborator.id

    resident.reload()
    thread = resident.get_by_test_id("thread").inner_text()
    assert "Mañana a las 9" in thread and "pedir repuesto" not in thread
    resident.check("#rating-5")
    resident.fill("#comment", "Rápidos y amables.")
    resident.locator("form[action$='/valorar'] button").click()
    resident.screenshot(path=str(artifacts_dir / "life-3-feedback.png"), full_page=True)
    feedback = db.session.scalar(select(Feedback).where(Feedback.ticket_id == ticket.id))
    assert feedback.rating == 5 and feedback.comment == "Rápidos y amables."

    boss = browser.new_context(base_url=live_server).new_page()
    sign_in(boss, admin.email)
    boss.goto(f"/tablero/tickets/{number}")
    timeline = boss.get_by_test_id("timeline").inner_text()
    assert timeline.count("·") >= 6  # created, took, note, reply, status, feedback…
