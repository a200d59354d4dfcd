"""The Excel export's service-level columns, read back with openpyxl: the policy, both dues in
the organisation's zone as date cells, met or missed, business hours taken and the state at
the moment of the export, in Spanish and English. Tickets are filed and answered through the
API under a controlled clock (time-machine)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine

from servicedesk.extensions import db
from servicedesk.models import Setting
from tests.conftest import login
from tests.sla.test_clock import T0, add_policy, file, minutes, set_status, write

ZONE = "America/Santiago"

# (policy, response due, resolution due, response, resolution, response h, resolution h, state)
COLUMNS = {
    "es": (
        "Política",
        f"Vence la primera respuesta ({ZONE})",
        f"Vence la resolución ({ZONE})",
        "Objetivo de primera respuesta",
        "Objetivo de resolución",
        "Primera respuesta (horas hábiles)",
        "Resolución (horas hábiles)",
        "Nivel de servicio",
    ),
    "en": (
        "Policy",
        f"First response due ({ZONE})",
        f"Resolution due ({ZONE})",
        "First response target",
        "Resolution target",
        "First response (business hours)",
        "Resolution (business hours)",
        "Service level",
    ),
}
WORDS = {
    "es": {"met": "Cumplido", "missed": "Incumplido", "at_risk": "En riesgo"},
    "en": {"met": "Met", "missed": "Missed", "at_risk": "At risk"},
}
STATES = {
    "es": {"breached": "Vencido", "none": "Sin objetivo"},
    "en": {"breached": "Overdue", "none": "No target"},
}


def wall(instant: datetime) -> datetime:
    """An instant as the organisation's wall time, naive (as Excel holds it)."""
    return instant.astimezone(ZoneInfo(ZONE)).replace(tzinfo=None)


def sla_cells(row: dict, language: str) -> list:
    """The service-level cells of one exported row, in COLUMNS order."""
    return [row[title] for title in COLUMNS[language]]


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_export_carries_each_tickets_service_level(
    app, admin, soporte, client_api, desk_api, language
):
    db.session.add(Setting(key="timezone", value=ZONE))
    admin.language = language
    db.session.commit()
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        untargeted = file(client_api)  # before any policy: no clock
    add_policy("Normal", 60, 240, default=True)
    with time_machine.travel(T0, tick=False) as clock:
        answered, late = file(client_api), file(client_api)
        clock.move_to(T0 + minutes(30))
        write(desk_api, answered, "Vamos en camino")  # answered in 30 minutes
        clock.move_to(T0 + minutes(90))
        set_status(desk_api, late, "resolved")  # no reply: first response at resolution, late
        clock.move_to(T0 + minutes(200))  # past the warning (75% of 240) of the open one
        web = app.test_client()
        login(web, admin.email)
        response = web.get("/informes/excel")
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    content = response.data
    response.close()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = {
        line[0].value: dict(zip(header, line, strict=True)) for line in sheet.iter_rows(min_row=2)
    }
    words, states = WORDS[language], STATES[language]

    cells = sla_cells(rows[answered], language)
    assert [c.value for c in cells] == [
        "Normal",
        wall(T0 + minutes(60)),
        wall(T0 + minutes(240)),
        words["met"],
        None,
        0.5,
        None,
        words["at_risk"],
    ]
    for due in cells[1:3]:  # real date cells, in the format of the other dates
        assert due.is_date and due.number_format == "yyyy-mm-dd hh:mm"
    assert cells[5].data_type == "n" and cells[5].number_format == "0.00"

    cells = sla_cells(rows[late], language)
    assert [c.value for c in cells] == [
        "Normal",
        wall(T0 + minutes(60)),
        wall(T0 + minutes(240)),
        words["missed"],
        words["met"],
        1.5,
        1.5,
        states["breached"],
    ]

    assert [c.value for c in sla_cells(rows[untargeted], language)] == [
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        states["none"],
    ]
