"""A ticket filed through the API is the same ticket the web form files."""

from __future__ import annotations

from sqlalchemy import select, text

from servicedesk.extensions import db
from servicedesk.models import OutboxMessage, Ticket, TicketEvent
from tests.conftest import login
from tests.tickets.conftest import file_ticket

FIELDS = {
    "ubicacion": "Depto 7",
    "categoria": "otro",
    "detalle": "La bisagra",
    "desde": "2026-11-20",
    "notas": "Suena de noche",
}
WEB = {f"cf-{k}": v for k, v in FIELDS.items()} | {"cf-urgente": "true"}
SAME = (
    "ticket_type_id",
    "type_version_id",
    "subject",
    "description",
    "data",
    "status",
    "priority",
    "requester_id",
    "assignee_id",
    "area_id",
    "created_by_id",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "closure_count",
)


def snapshot(ticket: Ticket) -> dict:
    """Everything stored about a ticket except its identity, times and channel."""
    events = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
    ).all()
    mark = f"#{ticket.number}"
    link = f"/tickets/{ticket.number}"
    mails = sorted(
        (m.kind, m.recipient, m.body_text.replace(mark, "#N").replace(link, "/N"))
        for m in db.session.scalars(select(OutboxMessage))
        if mark in m.subject
    )
    return {
        "columns": {name: getattr(ticket, name) for name in SAME},
        "events": events,
        "mails": mails,
        "indexed": indexed(ticket.id),
    }


def indexed(ticket_id: int) -> str:
    """What the full-text index holds for the ticket (either database)."""
    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(
            text("SELECT vector::text FROM ticket_search WHERE ticket_id = :id"), {"id": ticket_id}
        )
    return db.session.scalar(
        text("SELECT document FROM ticket_search WHERE rowid = :id"), {"id": ticket_id}
    )


def test_api_ticket_equals_web_ticket(app, client_api, soporte, client_user, admin):
    web = app.test_client()
    login(web, client_user.email)
    assert (
        file_ticket(
            web, data={"subject": "Portón roto", "description": "No cierra", **WEB}
        ).status_code
        == 302
    )
    response = client_api.post(
        "/tickets",
        json={
            "type": "soporte",
            "subject": "Portón roto",
            "description": "No cierra",
            "data": {**FIELDS, "urgente": True},
        },
    )
    assert response.status_code == 201, response.json
    from_web, from_api = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert from_web.channel == "portal" and from_api.channel == "api"  # where it came from
    assert snapshot(from_api) == snapshot(from_web)
    assert snapshot(from_web)["mails"]  # the desk was told about both
