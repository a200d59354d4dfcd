"""Filing on behalf as a front desk does it (#16 item 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Role, Ticket, User
from tests.conftest import Mailbox, make_user
from tests.tickets.conftest import file_ticket
from tests.tickets.test_desk import desk_client


@pytest.mark.parametrize(
    ("language", "subject"),
    [("es", "Se registró un ticket para ti"), ("en", "A ticket was filed for you")],
)
def test_the_client_is_told_a_ticket_was_filed_for_them(
    app, admin, client_user, soporte, mailbox, language, subject
):
    client_user.language = language  # the mail is in the client's language
    db.session.commit()
    desk = desk_client(app, admin)
    response = file_ticket(
        desk, {"requester_email": client_user.email, "channel": "phone"}, path="/tablero/nueva/"
    )
    assert response.status_code == 302
    number = db.session.scalars(select(Ticket.number)).one()
    [told] = mailbox.to(client_user.email)
    assert str(told["Subject"]).startswith(f"[#{number}] {subject}")
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


def _resident(name, email, unit, phone):
    """A client as the front desk knows them."""
    user = make_user(Role.CLIENT, email, name)
    user.unit, user.phone = unit, phone
    db.session.commit()
    return user


def test_the_desk_finds_a_client_by_name_unit_phone_or_email(app, admin, client_user):
    rosa = _resident("Rosa Martínez", "rosa@example.org", "Torre B 301", "+52 55 1234-5678")
    _resident("Ramón Pérez", "ramon@example.org", "Torre A 101", "55 8888 0000")
    desk = desk_client(app, admin)
    for typed in ("rosa", "MARTÍNEZ", "torre b", "1234 5678", "rosa@exa"):
        found = desk.get("/tablero/clientes", query_string={"q": typed}).json
        assert [c["id"] for c in found] == [rosa.id], typed
        assert (
            found[0]["label"] == "Rosa Martínez · Torre B 301 · +52 55 1234-5678 · rosa@example.org"
        )
    assert desk.get("/tablero/clientes", query_string={"q": "torre"}).json.__len__() == 2
    assert desk.get("/tablero/clientes", query_string={"q": "%"}).json == []
    # Clients may not look up other clients.
    assert desk_client(app, client_user).get("/tablero/clientes?q=rosa").status_code in (403, 404)


def test_without_javascript_the_search_lists_clients_to_choose(app, admin, soporte, mailbox):
    rosa = _resident("Rosa Martínez", "rosa@example.org", "Torre B 301", "5512345678")
    desk = desk_client(app, admin)
    page = desk.get("/tablero/nueva/soporte?cliente=torre+b").get_data(as_text=True)
    assert f'name="client_id" id="client-{rosa.id}" value="{rosa.id}"' in page
    response = file_ticket(
        desk, {"client_id": str(rosa.id), "channel": "walk_in"}, path="/tablero/nueva/"
    )
    assert response.status_code == 302
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.requester_id == rosa.id and ticket.channel == "walk_in"


def test_a_caller_without_email_is_registered_by_name_and_phone(app, admin, soporte, mailbox):
    desk = desk_client(app, admin)
    response = file_ticket(
        desk,
        {
            "requester_name": "Don Aurelio",
            "requester_phone": "55 4444 3333",
            "requester_unit": "Casa 7",
            "channel": "phone",
        },
        path="/tablero/nueva/",
    )
    assert response.status_code == 302
    caller = db.session.scalar(select(User).where(User.name == "Don Aurelio"))
    assert (caller.email, caller.phone, caller.unit, caller.role) == (
        None,
        "55 4444 3333",
        "Casa 7",
        Role.CLIENT,
    )
    assert db.session.scalars(select(Ticket)).one().requester_id == caller.id
    assert all("Aurelio" not in str(m["To"]) for m in mailbox.messages)  # nobody to write to
    # The desk finds them again by phone, and their ticket by their name.
    assert desk.get("/tablero/clientes?q=4444").json[0]["id"] == caller.id
    assert "Fuga de agua" in desk.get("/tablero/?view=historial&q=aurelio").get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "message"),
    [("es", "o un nombre y un teléfono"), ("en", "or a name and a phone")],
)
def test_no_client_at_all_is_a_clear_error_and_nothing_is_created(app, soporte, language, message):
    clerk = make_user(Role.COLLABORATOR, f"front-{language}@example.org", "F", language=language)
    desk = desk_client(app, clerk)
    response = file_ticket(
        desk, {"requester_name": "Sin Teléfono", "channel": "phone"}, path="/tablero/nueva/"
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.name == "Sin Teléfono")) is None
    assert db.session.scalars(select(Ticket)).all() == []
