"""A money field with multipleOf 0.01 takes 1234,56 on the Spanish form and 1234.56 as JSON."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select, text

from servicedesk.extensions import db
from servicedesk.models import Area, Ticket, TicketType, TicketTypeVersion
from tests.api.conftest import NEW
from tests.conftest import login
from tests.tickets.conftest import file_ticket

BUDGET_SCHEMA = {
    "type": "object",
    "required": ["presupuesto"],
    "properties": {
        "presupuesto": {"type": "number", "title": "Presupuesto", "multipleOf": 0.01},
        "obra": {"type": "string", "title": "Obra", "maxLength": 80},
    },
}


@pytest.fixture
def obras(app: Flask) -> TicketTypeVersion:
    """A type whose only required field is a budget in cents."""
    area = Area(name="Obras")
    ticket_type = TicketType(
        key="obras", name="Obras", description="Reformas", default_area=area, current_version=1
    )
    version = TicketTypeVersion(ticket_type=ticket_type, number=1, schema=BUDGET_SCHEMA, ui={})
    db.session.add_all([area, ticket_type, version])
    db.session.commit()
    return version


def stored_budget() -> object:
    """The budget as stored, and the stored JSON text holds exactly 1234.56."""
    ticket = db.session.scalars(select(Ticket)).one()
    raw = db.session.execute(text("SELECT CAST(data AS TEXT) FROM tickets")).scalar_one()
    assert "1234.56" in raw and "1234.5600" not in raw
    return ticket.data["presupuesto"]


def test_spanish_form_takes_a_decimal_comma(client, client_user, obras):
    login(client, client_user.email)
    page = client.get("/mesa-de-ayuda/nueva/obras").get_data(as_text=True)
    assert 'step="0.01"' in page  # the browser's hint is the same exact step
    response = file_ticket(
        client,
        {"cf-presupuesto": "1234,56", "cf-ubicacion": None, "cf-categoria": None},
        key="obras",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    value = stored_budget()
    assert value == 1234.56 and Decimal(str(value)) == Decimal("1234.56")


def test_spanish_form_refuses_a_third_decimal_in_spanish(client, client_user, obras):
    login(client, client_user.email)
    response = file_ticket(
        client,
        {"cf-presupuesto": "1234,567", "cf-ubicacion": None, "cf-categoria": None},
        key="obras",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Debe ser múltiplo de 0,01." in page
    assert 'value="1234.567"' in page  # the number typed is kept
    assert db.session.scalars(select(Ticket)).first() is None


def test_api_takes_a_json_decimal(client_api, obras):
    body = {**NEW, "type": "obras", "data": {"presupuesto": 1234.56}}
    response = client_api.post("/tickets", json=body)
    assert response.status_code == 201, response.json
    value = stored_budget()
    assert value == 1234.56 and Decimal(str(value)) == Decimal("1234.56")


def test_api_refuses_a_fraction_of_a_cent(client_api, obras):
    body = {**NEW, "type": "obras", "data": {"presupuesto": 1234.567}}
    response = client_api.post("/tickets", json=body)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json["errors"]] == ["/data/presupuesto"]
    assert db.session.scalars(select(Ticket)).first() is None
