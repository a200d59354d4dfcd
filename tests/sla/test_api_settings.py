"""GET /api/v1/sla/policies and /api/v1/sla/calendars: administrators only, as documented."""

from __future__ import annotations

from servicedesk.extensions import db
from servicedesk.models import Area, SlaCalendar
from tests.sla.test_clock import add_policy


def test_policies_in_order_with_their_current_version(admin_api, soporte):
    add_policy("Normal", 240, 27 * 60, default=True)
    add_policy("Urgente", 30, 240, position=1, priorities=["urgent"])
    answer = admin_api.get("/sla/policies")
    assert answer.status_code == 200
    items = answer.json["items"]
    assert [p["name"] for p in items] == ["Urgente", "Normal"]
    urgent = items[0]
    assert urgent["position"] == 1 and urgent["version"] == 1 and not urgent["default"]
    assert urgent["rules"] == {
        "type_ids": [],
        "priorities": ["urgent"],
        "area_ids": [],
        "channels": [],
    }
    assert (urgent["first_response_minutes"], urgent["resolution_minutes"]) == (30, 240)
    assert items[1]["default"] and items[1]["warn_percent"] == 75


def test_calendars_with_hours_holidays_and_areas(admin_api, soporte):
    row = SlaCalendar(
        name="Oficina",
        zone="America/Santiago",
        hours={"0": [[540, 780], [840, 1080]], "5": [[0, 1440]]},
        holidays=[{"date": "2026-09-18", "name": "Fiestas Patrias", "yearly": True}],
        is_default=True,
    )
    db.session.add(row)
    db.session.flush()
    area = db.session.query(Area).filter_by(name="Mantenimiento").one()
    area.calendar_id = row.id
    db.session.commit()
    answer = admin_api.get("/sla/calendars")
    assert answer.status_code == 200
    (calendar,) = answer.json["items"]
    assert calendar["zone"] == "America/Santiago" and calendar["default"]
    assert calendar["hours"]["monday"] == [
        {"start": "09:00", "end": "13:00"},
        {"start": "14:00", "end": "18:00"},
    ]
    assert calendar["hours"]["saturday"] == [{"start": "00:00", "end": "24:00"}]
    assert calendar["hours"]["sunday"] == []
    assert calendar["holidays"] == [
        {"date": "2026-09-18", "name": "Fiestas Patrias", "yearly": True}
    ]
    assert calendar["areas"] == ["Mantenimiento"]


def test_others_get_403(desk_api, client_api):
    for api in (desk_api, client_api):
        for path in ("/sla/policies", "/sla/calendars"):
            answer = api.get(path)
            assert answer.status_code == 403
            assert answer.content_type == "application/problem+json"


def test_documented_in_the_openapi_document(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    for path, schema in (
        ("/api/v1/sla/policies", "SlaPolicyList"),
        ("/api/v1/sla/calendars", "SlaCalendarList"),
    ):
        get = document["paths"][path]["get"]
        assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{schema}"
        }
        assert "403" in get["responses"]
