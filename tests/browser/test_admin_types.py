"""An administrator builds a type in the browser; a client uses it; v2 keeps v1 tickets."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Role, Ticket, TicketType
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:
    """Log in through the form."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_load_state()


def submit(page, selector: str) -> None:
    """Click a button that posts the page, and wait for the page it answers with.

    The click returns once the new page has started; reading it before it has loaded can
    see a half-parsed document (no rows, a field not there yet).
    """
    page.click(selector)
    page.wait_for_load_state()


def add_field(page, kind: str, **values: str) -> None:
    """Add a field of a kind with the builder's button, then fill its inputs."""
    page.select_option("#new-kind", kind)
    submit(page, "button[name=action][value=add]")
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
    submit(admin_page, "button[name=action][value=refresh]")
    admin_page.select_option("#f-2-show_when", "ascensor")
    admin_page.fill("#f-2-show_value", "si")
    admin_page.check("#f-2-required")
    submit(admin_page, "button[name=action][value=refresh]")
    expect(admin_page.locator("[name=pv-fecha]")).to_have_count(1)  # previewed by the engine
    admin_page.screenshot(path=str(artifacts_dir / "admin-builder.png"), full_page=True)

    # A test submission in the preview: the conditional field is required when shown.
    admin_page.select_option("[name=pv-ascensor]", "si")
    admin_page.locator("section form button").click()
    expect(admin_page.locator(".invalid-feedback").first).to_be_attached()
    admin_page.locator("form[action$='/formulario'] button").click()

    admin_page.click("button[name=action][value=review]")
    admin_page.wait_for_selector("[data-testid=changes]")
    admin_page.screenshot(path=str(artifacts_dir / "admin-review.png"), full_page=True)
    admin_page.locator("form[action$='/publicar'] button").click()
    admin_page.wait_for_url("**/versiones")
    ticket_type = db.session.scalar(select(TicketType).where(TicketType.key == "mudanza"))
    assert ticket_type.current_version == 1  # the type was a draft until now

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

    # Version 2 removes an option and the conditional field.
    admin_page.goto(f"/administracion/tipos/{ticket_type.id}/formulario")
    admin_page.fill("#f-1-options", "si | Sí\nno | No")
    admin_page.click("button[name=action][value='remove:2']")
    admin_page.click("button[name=action][value=review]")
    changes = admin_page.locator("[data-testid=changes]").inner_html()
    assert 'data-change="removed /horario 1"' in changes
    admin_page.locator("form[action$='/publicar'] button").click()
    admin_page.wait_for_url("**/versiones")
    db.session.refresh(ticket_type)
    assert ticket_type.current_version == 2

    desk_page = browser.new_context(base_url=live_server).new_page()
    sign_in(desk_page, collaborator.email)
    desk_page.goto(f"/tablero/tickets/{ticket.number}")
    fields = desk_page.get_by_test_id("ticket-fields").inner_text()
    assert "Horario de uso" in fields and "De 9 a 12" in fields and "Sí" in fields
    desk_page.screenshot(path=str(artifacts_dir / "desk-ticket-v1.png"), full_page=True)
    client_page.goto("/mesa-de-ayuda/nueva/mudanza")
    assert client_page.locator("[name=cf-horario]").count() == 0
    assert client_page.locator("[name=cf-ascensor] option[value=montacargas]").count() == 0


def test_bilingual_type_filed_in_english_and_read_in_spanish(
    browser, live_server, admin, collaborator, artifacts_dir
):
    """The acceptance of #17's builder: two languages from the builder to the Tablero."""
    resident = make_user(Role.CLIENT, "resident@example.org", "Rita Resident", language="en")
    admin_page = browser.new_context(base_url=live_server).new_page()
    sign_in(admin_page, admin.email)
    admin_page.goto("/administracion/tipos/nuevo")
    admin_page.fill("#name", "Reserva")
    admin_page.fill("#key", "reserva")
    admin_page.locator("form[novalidate] button.btn-primary").click()
    admin_page.wait_for_url("**/formulario")
    assert admin_page.get_by_test_id("draft-notice").is_visible()

    # A choice card shows its options in both languages and no text limits.
    admin_page.select_option("#new-kind", "select")
    submit(admin_page, "button[name=action][value=add]")
    assert admin_page.locator("#f-0-options_en").is_visible()
    assert not admin_page.locator("#f-0-max_length").is_visible()
    assert not admin_page.locator("#f-0-minimum").is_visible()
    admin_page.fill("#f-0-label", "Área común")
    assert admin_page.input_value("#f-0-key") == "area_comun"  # previewed while typing
    admin_page.fill("#f-0-label_en", "Common area")
    admin_page.fill("#f-0-help", "Dónde quieres reservar")
    admin_page.fill("#f-0-help_en", "Where you want to book")
    admin_page.fill("#f-0-options", "salon | Salón de fiestas\nalberca | Alberca")
    admin_page.fill("#f-0-options_en", "salon | Party room\nalberca | Pool")
    admin_page.check("#f-0-required")
    # Changing the kind changes the card at once.
    admin_page.select_option("#new-kind", "integer")
    submit(admin_page, "button[name=action][value=add]")
    assert admin_page.input_value("#f-0-key") == "area_comun"  # as the server derived it
    assert admin_page.locator("#f-1-minimum").is_visible()
    assert not admin_page.locator("#f-1-options").is_visible()
    admin_page.fill("#f-1-label", "Personas")
    admin_page.fill("#f-1-label_en", "People")
    admin_page.fill("#f-1-minimum", "1")
    admin_page.fill("#f-1-maximum", "50")
    submit(admin_page, "button[name=action][value=refresh]")
    assert admin_page.input_value("#f-1-key") == "personas"
    assert admin_page.input_value("#f-1-maximum") == "50"  # not 50.0
    english_preview = admin_page.get_by_test_id("other-preview").inner_text()
    assert "Common area" in english_preview and "People" in english_preview
    admin_page.select_option("#f-1-kind", "text")
    assert not admin_page.locator("#f-1-minimum").is_visible()
    assert admin_page.locator("#f-1-max_length").is_visible()
    admin_page.select_option("#f-1-kind", "integer")

    # Leaving with unpublished changes asks first; staying keeps everything typed.
    admin_page.fill("#f-1-help", "Cuántas personas vienen")
    dialogs: list[str] = []
    admin_page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    admin_page.get_by_role("link", name="Editar como JSON").click(no_wait_after=True)
    for _wait in range(50):
        if dialogs:
            break
        admin_page.wait_for_timeout(100)
    assert dialogs == ["beforeunload"] and admin_page.url.endswith("/formulario")
    assert admin_page.input_value("#f-1-help") == "Cuántas personas vienen"
    admin_page.screenshot(path=str(artifacts_dir / "admin-builder-bilingual.png"), full_page=True)

    admin_page.click("button[name=action][value=review]")
    admin_page.wait_for_selector("[data-testid=changes]")
    admin_page.locator("form[action$='/publicar'] button").click()
    admin_page.wait_for_url("**/versiones")
    ticket_type = db.session.scalar(select(TicketType).where(TicketType.key == "reserva"))
    assert ticket_type.current_version == 1

    client_page = browser.new_context(base_url=live_server).new_page()
    sign_in(client_page, resident.email)
    client_page.goto("/mesa-de-ayuda/nueva")
    client_page.get_by_role("link", name=re.compile("Reserva")).click()
    client_page.wait_for_load_state()  # its text is read whole below
    client_page.get_by_label(re.compile("Common area")).select_option(label="Pool")
    form_text = client_page.locator("form.fe-form").inner_text()
    assert "Where you want to book" in form_text and "People" in form_text
    assert "Área común" not in form_text and "Alberca" not in form_text
    client_page.fill("#subject", "Pool party")
    client_page.fill("[name=cf-personas]", "12")
    client_page.locator("form.fe-form button[type=submit]").click()
    client_page.wait_for_url(re.compile(r".*/mesa-de-ayuda/tickets/\d+"))
    ticket = db.session.scalar(select(Ticket).where(Ticket.subject == "Pool party"))
    assert ticket.data == {"area_comun": "alberca", "personas": 12}
    assert "Common area" in client_page.content() and "Pool" in client_page.content()

    desk_page = browser.new_context(base_url=live_server).new_page()
    sign_in(desk_page, collaborator.email)
    desk_page.goto("/tablero/")
    desk_page.get_by_role("link", name=re.compile("Pool party")).first.click()
    desk_page.wait_for_url(re.compile(rf".*/tablero/tickets/{ticket.number}$"))
    fields = desk_page.get_by_test_id("ticket-fields").inner_text()
    assert "Área común" in fields and "Alberca" in fields and "Personas" in fields
    assert "Common area" not in fields and "Pool" not in fields.replace("Pool party", "")
    desk_page.screenshot(path=str(artifacts_dir / "desk-ticket-bilingual.png"), full_page=True)
