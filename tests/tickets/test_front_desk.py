"""Filing on behalf as a front desk does it (#16 item 5)."""

from __future__ import annotations

from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Role, Ticket
from tests.conftest import Mailbox, make_user
from tests.tickets.conftest import file_ticket
from tests.tickets.test_desk import desk_client


def test_the_client_is_told_a_ticket_was_filed_for_them(app, admin, client_user, soporte, mailbox):
    desk = desk_client(app, admin)
    response = file_ticket(
        desk, {"requester_email": client_user.email, "channel": "phone"}, path="/tablero/nueva/"
    )
    assert response.status_code == 302
    number = db.session.scalars(select(Ticket.number)).one()
    [told] = mailbox.to(client_user.email)
    assert str(told["Subject"]).startswith(f"[#{number}] Se registró un ticket para ti")
    text = Mailbox.text_of(told)
    assert "Ada Admin" in text and f"/mesa-de-ayuda/tickets/{number}" in text


def test_a_client_filing_for_themselves_gets_no_such_mail(app, client_user, soporte, mailbox):
    assert file_ticket(desk_client(app, client_user)).status_code == 302
    assert mailbox.to(client_user.email) == []  # filed for oneself: nobody to tell


def test_the_tablero_search_finds_tickets_by_the_requesters_name(app, admin, soporte):
    vecina = make_user(Role.CLIENT, "rosa@example.org", "Rosa Martínez")
    portal = desk_client(app, vecina)
    file_ticket(portal, {"subject": "Fuga de agua"})
    desk = desk_client(app, admin)
    found = desk.get("/tablero/?view=historial&q=martinez").get_data(as_text=True)
    assert "Fuga de agua" in found
    missing = desk.get("/tablero/?view=historial&q=gonzalez").get_data(as_text=True)
    assert "Fuga de agua" not in missing
