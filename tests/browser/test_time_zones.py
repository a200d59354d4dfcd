"""Two collaborators, one in Mexico City and one in Madrid, read the same ticket's times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Area, Role, TicketEvent
from tests.browser.conftest import sign_in
from tests.conftest import make_user
from tests.factories import make_ticket

pytestmark = pytest.mark.browser

# 15:30 UTC is 09:30 in Mexico City (UTC-6) and 16:30 in Madrid (UTC+1) in December.
FILED = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


def filed_hour(page, number: int) -> tuple[str, int, int]:
    """The ticket page's first timeline line, and the hour and minute it shows."""
    page.goto(f"/tablero/tickets/{number}")
    line = page.get_by_test_id("timeline").locator("li").first.inner_text()
    found = re.match(r"(\d+/\d+/\d+), (\d+):(\d+)", line)
    assert found, line
    return found.group(1), int(found.group(2)), int(found.group(3))


def test_each_collaborator_reads_the_ticket_in_their_zone(
    browser, live_server, soporte, client_user, artifacts_dir
):
    area = db.session.scalar(select(Area).where(Area.name == "Mantenimiento"))
    mexico = make_user(Role.COLLABORATOR, "cdmx@example.org", "Mónica CDMX", areas=[area])
    madrid = make_user(Role.COLLABORATOR, "madrid@example.org", "Mario Madrid", areas=[area])
    mexico.timezone, madrid.timezone = "America/Mexico_City", "Europe/Madrid"
    ticket = make_ticket(client_user, soporte, "Fuga en la azotea", created_at=FILED)
    db.session.add(
        TicketEvent(ticket_id=ticket.id, actor_id=client_user.id, kind="created", created_at=FILED)
    )
    db.session.commit()

    in_mexico = sign_in(browser, live_server, mexico.email)
    in_madrid = sign_in(browser, live_server, madrid.email)
    try:
        day_mx, hour_mx, minute_mx = filed_hour(in_mexico, ticket.number)
        day_es, hour_es, minute_es = filed_hour(in_madrid, ticket.number)
        in_mexico.screenshot(path=str(artifacts_dir / "zone-mexico.png"), full_page=True)
        in_madrid.screenshot(path=str(artifacts_dir / "zone-madrid.png"), full_page=True)
    finally:
        in_mexico.context.close()
        in_madrid.context.close()
    assert (day_mx, hour_mx, minute_mx) == ("1/12/26", 9, 30)
    assert (day_es, hour_es, minute_es) == ("1/12/26", 16, 30)
    assert hour_es - hour_mx == 7  # Madrid (UTC+1) is seven hours ahead of Mexico City (UTC-6)


def test_a_collaborator_chooses_a_zone_in_the_browser(browser, live_server, collaborator):
    page = sign_in(browser, live_server, collaborator.email)
    try:
        page.get_by_test_id("current-user").click()
        page.get_by_label("Mostrar fechas y horas en").select_option("America/Mexico_City")
        page.get_by_role("button", name="Guardar zona horaria").click()
        page.wait_for_url("**/cuenta/notificaciones")
        assert "Se guardó tu zona horaria." in page.content()
        selected = page.get_by_label("Mostrar fechas y horas en").input_value()
    finally:
        page.context.close()
    assert selected == "America/Mexico_City"
    db.session.expire_all()
    assert db.session.get(type(collaborator), collaborator.id).timezone == "America/Mexico_City"
