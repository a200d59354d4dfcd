"""An administrator opens the reports and sees the charts, drawn by the server as SVG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicedesk.extensions import db
from servicedesk.models import Feedback, Status
from tests.browser.test_admin_types import sign_in
from tests.factories import make_ticket

pytestmark = pytest.mark.browser

CHARTS = {
    "chart-trend": "Abiertos, cerrados y pendientes por semana",
    "chart-spread": "Tiempos de primera respuesta y de resolución",
    "chart-satisfaction": "Calificación promedio por semana",
}


def test_reports_page_shows_named_svg_charts(
    app, browser, live_server, admin, client_user, soporte, artifacts_dir
):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n in range(8):  # a ticket every five days over six weeks: weekly charts
        created = start + timedelta(days=5 * n)
        ticket = make_ticket(
            client_user,
            soporte,
            f"Solicitud {n}",
            status=Status.CLOSED,
            closure_count=1,
            created_at=created,
            first_response_at=created + timedelta(hours=n + 0.5),
            resolved_at=created + timedelta(hours=10 * n + 2),
            closed_at=created + timedelta(hours=10 * n + 3),
        )
        db.session.add(
            Feedback(ticket_id=ticket.id, closure=1, rating=1 + n % 5, author_id=client_user.id)
        )
    db.session.commit()
    context = browser.new_context(
        base_url=live_server, locale="es-ES", viewport={"width": 375, "height": 800}
    )
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    sign_in(page, admin.email)
    page.goto("/informes/")
    for chart_id, name in CHARTS.items():
        chart = page.get_by_role("img", name=name)
        assert chart.count() == 1 and chart.get_attribute("id") == chart_id
        box = chart.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 40
        assert box["x"] + box["width"] <= 375  # fits a phone's width
        marks = chart.locator("rect[data-series], circle[data-series]")
        assert marks.count() > 0
        assert any(float(v) > 0 for v in marks.evaluate_all("ms => ms.map(m => m.dataset.value)"))
    trend = page.locator("#chart-trend rect[data-series=opened]")
    assert sum(float(v) for v in trend.evaluate_all("ms => ms.map(m => m.dataset.value)")) == 8
    page.get_by_text("Las cifras en una tabla").first.click()  # the same figures, as a table
    assert page.locator("details[open] table tbody tr").count() >= 6
    assert refused == []
    page.screenshot(path=str(artifacts_dir / "reports-charts.png"), full_page=True)
    context.close()
