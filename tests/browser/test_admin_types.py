"""An administrator builds a type in the browser; a client uses it; v2 keeps v1 tickets."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Ticket, TicketType
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:
    """Log in through the form."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_load_state()


def add_field(page, kind: str, **values: str) -> None:
    """Add a field of a kind with the builder's button, then fill its inputs."""
    page.select_option("#new-kind", kind)
    page.click("button[name=action][value=add]")
    index = page.locator("input[name=count]").input_value()
    i = int(index) - 1
    for attr, value in values.items():
        selector = f"#f-{i}-{attr}"
        tag = page.locator(selector).evaluate("e => e.tagName")
        if attr == "required":
            page.check(selector)
        elif tag == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def test_build_publish_file_and_keep_v1(
    browser, live_server, admin, client_user, collaborator, artifacts_dir
):
    admin_page = browser.new_context(base_url=live_server).new_page()
    sign_in(admin_page, admin.email)
    admin_page.goto("/administracion/tipos/nuevo")
    admin_page.fill("#name", "Mudanza")
    admin_page.fill("#key", "mudanza")
    admin_page.fill("#description", "Avisa a la administración de tu mudanza.")
    admin_page.locator("form[novalidate] button.btn-primary").click()
    admin_page.wait_for_url("**/formulario")

    add_field(admin_page, "date", key="fecha", label="Fecha de mudanza", required="1")
    add_field(
        admin_page,
        "select",
        key="ascensor",
        label="¿Usará el ascensor?",
        required="1",
        options="si | Sí\nno | No\nmontacargas | Montacargas",
    )
    add_field(admin_page, "text", key="horario", label="Horario de uso")
    admin_page.click("button[name=action][value=refresh]")
    admin_page.select_option("#f-2-show_when", "ascensor")
    admin_page.fill("#f-2-show_value", "si")
    admin_page.check("#f-2-required")
    admin_page.click("button[name=action][value=refresh]")
    assert admin_page.locator("[name=pv-fecha]").count() == 1  # live preview by the engine
    admin_page.screenshot(path=str(artifacts_dir / "admin-builder.png"), full_page=True)

    # A test submission in the preview: the conditional field is required when shown.
    admin_page.select_option("[name=pv-ascensor]", "si")
    admin_page.locator("section form button").click()
    assert admin_page.locator(".invalid-feedback").count() >= 1
    admin_page.locator("form[action$='/formulario'] button").click()

    admin_page.click("button[name=action][value=review]")
    admin_page.wait_for_selector("[data-testid=changes]")
    admin_page.screenshot(path=str(artifacts_dir / "admin-review.png"), full_page=True)
    admin_page.locator("form[action$='/publicar'] button").click()
    admin_page.wait_for_url("**/versiones")
    ticket_type = db.session.scalar(select(TicketType).where(TicketType.key == "mudanza"))
    assert ticket_type.current_version == 2

    client_page = browser.new_context(base_url=live_server).new_page()
    sign_in(client_page, client_user.email)
    client_page.goto("/mesa-de-ayuda/nueva")
    client_page.get_by_role("link", name=re.compile("Mudanza")).click()
    client_page.fill("#subject", "Mudanza el sábado")
    client_page.fill("[name=cf-fecha]", "2026-12-05")
    horario = client_page.locator("[name=cf-horario]")
    assert not horario.is_visible()  # hidden until the condition holds
    client_page.select_option("[name=cf-ascensor]", "si")
    horario.wait_for(state="visible")
    horario.fill("De 9 a 12")
    client_page.screenshot(path=str(artifacts_dir / "client-new-ticket.png"), full_page=True)
    client_page.locator("form.fe-form button[type=submit]").click()
    client_page.wait_for_url(re.compile(r".*/mesa-de-ayuda/tickets/\d+"))
    assert "De 9 a 12" in client_page.content()
    ticket = db.session.scalar(select(Ticket).where(Ticket.subject == "Mudanza el sábado"))
    assert ticket.data == {"fecha": "2026-12-05", "ascensor": "si", "horario": "De 9 a 12"}

    # Version 3 removes an option and the conditional field.
    admin_page.goto(f"/administracion/tipos/{ticket_type.id}/formulario")
    admin_page.fill("#f-1-options", "si | Sí\nno | No")
    admin_page.click("button[name=action][value='remove:2']")
    admin_page.click("button[name=action][value=review]")
    changes = admin_page.locator("[data-testid=changes]").inner_html()
    assert 'data-change="removed /horario 1"' in changes
    admin_page.locator("form[action$='/publicar'] button").click()
    admin_page.wait_for_url("**/versiones")
    db.session.refresh(ticket_type)
    assert ticket_type.current_version == 3

    desk_page = browser.new_context(base_url=live_server).new_page()
    sign_in(desk_page, collaborator.email)
    desk_page.goto(f"/tablero/tickets/{ticket.number}")
    fields = desk_page.get_by_test_id("ticket-fields").inner_text()
    assert "Horario de uso" in fields and "De 9 a 12" in fields and "Sí" in fields
    desk_page.screenshot(path=str(artifacts_dir / "desk-ticket-v1.png"), full_page=True)
    client_page.goto("/mesa-de-ayuda/nueva/mudanza")
    assert client_page.locator("[name=cf-horario]").count() == 0
    assert client_page.locator("[name=cf-ascensor] option[value=montacargas]").count() == 0
