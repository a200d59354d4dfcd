"""A collaborator filters the Tablero, searches, saves a view and opens a ticket from it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from servicedesk.models import Status
from tests.browser.test_admin_types import sign_in
from tests.factories import make_ticket

pytestmark = pytest.mark.browser


def test_filter_search_save_and_open(
    browser, live_server, collaborator, client_user, soporte, artifacts_dir
):
    make_ticket(
        client_user,
        soporte,
        "Fuga en el jardín",
        status=Status.OPEN,
        priority="high",
        data={"ubicacion": "Jardín", "categoria": "agua"},
    )
    make_ticket(
        client_user,
        soporte,
        "Ascensor detenido",
        status=Status.OPEN,
        data={"ubicacion": "Torre B", "categoria": "otro", "detalle": "motor"},
    )
    make_ticket(
        client_user,
        soporte,
        "Luz fundida",
        status=Status.NEW,
        priority="high",
        data={"ubicacion": "Pasillo", "categoria": "agua"},
    )
    page = browser.new_context(base_url=live_server).new_page()
    sign_in(page, collaborator.email)
    page.goto("/tablero/")
    assert page.locator("[data-ticket-row]").count() == 3
    page.locator("details summary").click()
    page.select_option("#f-priority", ["high"])
    page.fill("#q", "jardin")  # no accent: the search folds them
    page.get_by_role("button", name="Aplicar filtros").click()
    page.wait_for_url("**q=jardin**")
    expect(page.locator("[data-ticket-row]")).to_have_count(1)
    page.fill("#view-name", "Jardín urgente")
    page.get_by_role("button", name="Guardar esta vista").click()
    page.wait_for_load_state()
    page.screenshot(path=str(artifacts_dir / "dashboard-saved-view.png"), full_page=True)
    page.goto("/tablero/?view=historial")
    assert page.locator("[data-ticket-row]").count() == 3
    page.get_by_test_id("saved-view").filter(has_text="Jardín urgente").click()
    # The click starts a navigation and returns: wait for the saved view's page (the
    # count read at once once caught the page between the two documents, with no rows).
    page.wait_for_url("**q=jardin**")
    expect(page.locator("[data-ticket-row]")).to_have_count(1)
    page.get_by_role("link", name="Fuga en el jardín").click()
    page.wait_for_url("**/tablero/tickets/**")
    assert "Fuga en el jardín" in page.locator("h1").inner_text()
