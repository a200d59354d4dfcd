"""A Spanish page in an English (en-US) Chromium: its dates still read and type 19/12/2026."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import make_ticket
from tests.test_dates import reserva  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_the_tablero_filter_reads_and_takes_a_spanish_date_in_an_english_browser(
    browser, live_server, collaborator, client_user, soporte, artifacts_dir
):
    inside = make_ticket(
        client_user, soporte, "Del 19", created_at=datetime(2026, 12, 19, 15, tzinfo=UTC)
    )
    make_ticket(client_user, soporte, "Del 18", created_at=datetime(2026, 12, 18, 15, tzinfo=UTC))
    page = sign_in(browser, live_server, collaborator.email, "en-US")
    try:
        page.goto("/tablero/?view=historial")
        page.get_by_text("Filtros y búsqueda").click()
        start = page.get_by_label("Creado desde")
        assert start.get_attribute("placeholder") == "dd/mm/aaaa"
        start.fill("19/12/2026")
        page.get_by_label("Creado hasta").fill("19/12/2026")
        page.get_by_role("button", name="Aplicar filtros").click()
        page.wait_for_url(re.compile(r".*created_from=19%2F12%2F2026.*"))
        rows = page.locator("[data-ticket-row]")
        assert rows.count() == 1
        assert rows.first.get_attribute("data-ticket-row") == str(inside.number)
        # The page's language, not the browser's: shown as typed, dd/mm/aaaa.
        assert page.get_by_label("Creado desde").input_value() == "19/12/2026"
        page.screenshot(path=str(artifacts_dir / "dates-tablero-en-us.png"), full_page=True)
    finally:
        page.context.close()


def test_a_custom_date_field_takes_19_12_2026_in_an_english_browser(
    browser,
    live_server,
    client_user,
    reserva,  # noqa: F811 - the fixture
):
    page = sign_in(browser, live_server, client_user.email, "en-US")
    try:
        page.goto("/mesa-de-ayuda/nueva/reserva")
        page.get_by_label("Asunto").fill("Salón de fiestas")
        day = page.get_by_label("Día")
        assert day.get_attribute("placeholder") == "dd/mm/aaaa"
        day.fill("19/12/2026")
        page.get_by_role("button", name="Agregar petición").click()
        page.wait_for_url(re.compile(r".*/mesa-de-ayuda/tickets/\d+"))
        assert "19/12/2026" in page.content()
    finally:
        page.context.close()
    db.session.expire_all()
    assert db.session.scalars(select(Ticket)).one().data["dia"] == "2026-12-19"
