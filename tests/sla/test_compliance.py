"""The reports' service-level compliance against a hand-computed fixture of 20 tickets.

Each ticket's clocks are written as the service would have left them; the figures below
were worked out by hand from the table (see the comments), not by the code under test.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_login import login_user

from servicedesk.extensions import db
from servicedesk.models import Area, Role, SlaPolicy, SlaPolicyVersion, User
from servicedesk.reports import compliance
from servicedesk.reports.service import pdf_to, report_page
from tests.conftest import login, make_user
from tests.factories import make_ticket, make_type

PAST, FUTURE = datetime(2020, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC)
MET, LATE, PENDING, OVERDUE, NONE = "met", "late", "pending", "overdue", "none"
# number: (area, owner, priority, (response, secs), (resolution, secs), phase)
TABLE = {
    1: ("S", "a", "normal", (MET, 600), (MET, 3600), "met"),
    2: ("S", "a", "normal", (MET, 1200), (LATE, 90000), "breached"),
    3: ("S", "a", "urgent", (LATE, 4000), (MET, 7200), "breached"),
    4: ("S", "b", "normal", (MET, 300), (MET, 1800), "met"),
    5: ("S", "b", "normal", (MET, 900), (PENDING, None), "running"),
    6: ("S", "b", "urgent", (OVERDUE, None), (PENDING, None), "running"),
    7: ("S", None, "normal", (NONE, None), (NONE, None), "none"),
    8: ("L", "a", "normal", (MET, 1500), (MET, 5000), "met"),
    9: ("L", "a", "normal", (MET, 2400), (MET, 6000), "met"),
    10: ("L", "a", "urgent", (LATE, 5000), (LATE, 20000), "breached"),
    11: ("L", "b", "normal", (MET, 100), (MET, 200), "met"),
    12: ("L", "b", "normal", (MET, 700), (PENDING, None), "paused"),
    13: ("L", "b", "normal", (MET, 800), (MET, 10000), "met"),
    14: ("L", "b", "urgent", (MET, 60), (MET, 600), "met"),
    15: ("S", "a", "normal", (MET, 1800), (MET, 3000), "met"),
    16: ("S", "a", "normal", (NONE, None), (NONE, None), "none"),
    17: ("L", "a", "normal", (MET, 2000), (LATE, 50000), "breached"),
    18: ("S", "b", "normal", (MET, 450), (MET, 4000), "met"),
    19: ("L", "b", "urgent", (MET, 30), (MET, 900), "met"),
    20: ("S", "a", "normal", (LATE, 7200), (MET, 9000), "breached"),
}


def _clock(outcome: str, secs: int | None) -> tuple[datetime | None, bool | None, int | None]:
    """(due, breached, business seconds) of one clock as the service stores it."""
    due = {OVERDUE: PAST, PENDING: FUTURE, NONE: None}.get(outcome, PAST)
    breached = {MET: False, LATE: True}.get(outcome)
    return due, breached, secs


@pytest.fixture
def twenty(app: Flask) -> User:
    """The 20 tickets of TABLE, in Seguridad (S) and Limpieza (L), owned by Ana and Beto."""
    areas = {"S": Area(name="Seguridad"), "L": Area(name="Limpieza")}
    db.session.add_all(areas.values())
    policy = SlaPolicy(name="Normal", is_default=True, current_version=1)
    version = SlaPolicyVersion(policy=policy, number=1, first_response_minutes=60)
    db.session.add_all([policy, version])
    db.session.commit()
    owners = {
        "a": make_user(Role.COLLABORATOR, "ana@example.org", "Ana", areas=list(areas.values())),
        "b": make_user(Role.COLLABORATOR, "beto@example.org", "Beto", areas=list(areas.values())),
    }
    client = make_user(Role.CLIENT, "clara@example.org", "Clara")
    kind = make_type()
    for number in sorted(TABLE):
        area, owner, priority, response, resolution, phase = TABLE[number]
        r_due, r_breached, r_secs = _clock(*response)
        s_due, s_breached, s_secs = _clock(*resolution)
        make_ticket(
            client,
            kind,
            f"Ticket {number}",
            area_id=areas[area].id,
            assignee_id=owners[owner].id if owner else None,
            priority=priority,
            sla_version_id=version.id if phase != "none" else None,
            sla_phase=phase,
            sla_response_due=r_due,
            sla_response_breached=r_breached,
            sla_response_secs=r_secs,
            sla_resolution_due=s_due,
            sla_resolution_breached=s_breached,
            sla_resolution_secs=s_secs,
        )
    return make_user(Role.ADMIN, "ada@example.org", "Ada")


def _figures(c: compliance.Compliance) -> tuple:
    return (
        c.targeted,
        c.response_rate,
        c.resolution_rate,
        c.breached,
        c.response_median,
        c.response_p90,
        c.resolution_median,
        c.resolution_p90,
    )


def test_compliance_matches_the_hand_computed_figures(app, twenty):
    with app.test_request_context():
        login_user(twenty)
        page = report_page(twenty, "", "es")
        # The PDF report lays the same figures out (its template renders them).
        out = io.BytesIO()
        pdf_to(out, twenty, "")
        assert out.getvalue().startswith(b"%PDF")
    found = page["compliance"]
    # 18 with targets (7 and 16 have none). First response: 14 met, 4 missed (3, 10, 20
    # late; 6 still counting past its due). Resolution: 12 met, 3 late (2, 10, 17); 5, 6
    # and 12 undecided. Tickets with a breach: 2, 3, 6, 10, 17, 20.
    # Business seconds to the first response (17 values) sorted: 30 60 100 300 450 600 700
    # 800 900 1200 1500 1800 2000 2400 4000 5000 7200 → median 900 s = 0.25 h; p90 is the
    # 16th (nearest rank: ⌈0.9 × 17⌉) = 5000 s = 1.39 h. Resolution (15 values): 200 600
    # 900 1800 3000 3600 4000 5000 6000 7200 9000 10000 20000 50000 90000 → median 5000 s
    # = 1.39 h; p90 the 14th = 50000 s = 13.89 h.
    assert _figures(found.total) == (18, 0.778, 0.8, 6, 0.25, 1.39, 1.39, 13.89)
    # Seguridad: 1–6, 15, 18, 20. Response met 6 of 9 (3, 6, 20 missed); resolution met
    # 6 of 7 (2 late); breaches 2, 3, 6, 20. Limpieza: response 8 of 9 (10 late);
    # resolution 6 of 8 (10, 17 late); breaches 10, 17.
    assert _figures(found.by_area["Seguridad"])[:4] == (9, 0.667, 0.857, 4)
    assert _figures(found.by_area["Limpieza"])[:4] == (9, 0.889, 0.75, 2)
    # Urgent: 3, 6, 10, 14, 19: response met 2 of 5, resolution 3 of 4, breaches 3, 6, 10.
    assert _figures(found.by_priority["Urgente"])[:4] == (5, 0.4, 0.75, 3)
    assert _figures(found.by_priority["Normal"])[:4] == (13, 0.923, 0.818, 3)
    # Ana: 1, 2, 3, 8, 9, 10, 15, 17, 20 → breaches 2, 3, 10, 17, 20; Beto: only 6.
    assert _figures(found.by_collaborator["Ana"])[:4] == (9, 0.667, 0.667, 5)
    assert _figures(found.by_collaborator["Beto"])[:4] == (9, 0.889, 1.0, 1)
    assert _figures(found.by_type["Soporte"]) == _figures(found.total)


def test_the_report_page_shows_compliance_beside_satisfaction(app, twenty):
    web = app.test_client()
    login(web, "ada@example.org")
    html = web.get("/informes/").get_data(as_text=True)
    assert 'data-testid="sla-by-area"' in html and "Limpieza" in html
    assert 'data-testid="chart-compliance"' in html and "calificación promedio" in html
    assert "78" in html and "Tickets con objetivos: 18" in html
    pdf = web.get("/informes/pdf")
    assert pdf.status_code in (200, 302)
