"""Clients file and follow their own tickets; nobody else's."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from servicedesk.extensions import db
from servicedesk.models import Attachment, Channel, Comment, Status, Ticket, TicketEvent
from tests.conftest import csrf_token, login
from tests.payloads import DANGEROUS_FRAGMENTS, XSS_PAYLOADS
from tests.tickets.conftest import PDF, PNG, file_ticket, upload


def only_ticket() -> Ticket:
    """Return the one ticket in the database."""
    return db.session.scalars(select(Ticket)).one()


def test_client_files_a_ticket_with_fields_and_photos(client, client_user, soporte):
    login(client, client_user.email)
    response = file_ticket(
        client,
        {"cf-urgente": "true", "cf-desde": "2026-11-01"},
        [upload(PNG, "fuga.png"), upload(PDF, "presupuesto.pdf")],
    )
    assert response.status_code == 302
    ticket = only_ticket()
    assert response.headers["Location"] == f"/mesa-de-ayuda/tickets/{ticket.number}"
    assert ticket.data == {
        "ubicacion": "Depto 101",
        "categoria": "agua",
        "urgente": True,
        "desde": "2026-11-01",
    }
    assert ticket.requester_id == client_user.id and ticket.channel == Channel.PORTAL
    assert ticket.status == Status.NEW and ticket.area.name == "Mantenimiento"
    names = sorted(a.filename for a in db.session.scalars(select(Attachment)))
    assert names == ["fuga.png", "presupuesto.pdf"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Depto 101" in page and "fuga.png" in page


def test_file_field_uploads_are_stored_and_referenced(client, client_user, soporte):
    login(client, client_user.email)
    response = file_ticket(client, {"cf-fotos": [upload(PNG, "a.png")]})
    assert response.status_code == 302
    ticket = only_ticket()
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert ticket.data["fotos"] == [str(attachment.id)]


def test_a_filing_writes_its_ticket_and_event_in_one_flush(client, client_user, soporte):
    """The "created" event rides on the ticket's flush; each attachment is one more."""
    login(client, client_user.email)
    flushes: list[int] = []

    def count(*_args: object) -> None:
        flushes.append(1)

    event.listen(Session, "after_flush", count)
    try:
        assert file_ticket(client).status_code == 302
        alone = len(flushes)
        assert file_ticket(client, files=[upload(PNG, "fuga.png")]).status_code == 302
        with_photo = len(flushes) - alone
    finally:
        event.remove(Session, "after_flush", count)
    assert (alone, with_photo) == (1, 2)
    for ticket in db.session.scalars(select(Ticket)):
        assert [e.kind for e in ticket.events] == ["created"]
        assert ticket.version == 1


def test_errors_keep_what_was_typed(client, client_user, soporte):
    login(client, client_user.email)
    response = file_ticket(
        client, {"subject": "", "cf-categoria": "otro", "cf-ubicacion": "Torre B"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Torre B"' in page and "Este campo es obligatorio." in page
    assert db.session.scalars(select(Ticket)).all() == []


def test_hidden_conditional_values_never_stored(client, client_user, soporte):
    login(client, client_user.email)
    file_ticket(client, {"cf-categoria": "agua", "cf-detalle": "should vanish"})
    assert "detalle" not in only_ticket().data


def test_mass_assignment_is_ignored(client, client_user, other_client, collaborator, soporte):
    login(client, client_user.email)
    file_ticket(
        client,
        {
            "requester_id": str(other_client.id),
            "assignee_id": str(collaborator.id),
            "status": "closed",
            "priority": "urgent",
            "area_id": "999",
            "internal": "1",
            "channel": "phone",
            "number": "777",
        },
    )
    ticket = only_ticket()
    assert ticket.requester_id == client_user.id and ticket.assignee_id is None
    assert ticket.status == Status.NEW and ticket.priority == "normal"
    assert ticket.channel == Channel.PORTAL and ticket.number != 777
    token = csrf_token(client.get(f"/mesa-de-ayuda/tickets/{ticket.number}").get_data(as_text=True))
    client.post(
        f"/mesa-de-ayuda/tickets/{ticket.number}/responder",
        data={"csrf_token": token, "body": "hola", "internal": "1", "status": "closed"},
    )
    comment = db.session.scalars(select(Comment)).one()
    assert comment.internal is False
    assert db.session.get(Ticket, ticket.id).status == Status.NEW


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("shell.php.png", PNG, "double extension"),
        ("page.html", b"<html><script>alert(1)</script>", "html"),
        ("fake.png", b"<?php system($_GET['c']); ?>", "content mismatch"),
        ("../../etc/passwd.png", b"root:x:0:0", "traversal + mismatch"),
        ("nul\x00.png", PNG, "NUL byte"),
        ("vector.svg", b"<svg onload=alert(1)>", "svg"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_saved(
    client, client_user, soporte, name, content, reason
):
    login(client, client_user.email)
    response = file_ticket(client, files=[upload(content, name)])
    assert response.status_code == 400, reason
    assert db.session.scalars(select(Ticket)).all() == []
    assert db.session.scalars(select(Attachment)).all() == []


def test_path_traversal_name_is_reduced_to_a_base_name(client, client_user, soporte, app):
    login(client, client_user.email)
    file_ticket(client, files=[upload(PNG, "../../../../tmp/evil.png")])
    attachment = db.session.scalars(select(Attachment)).one()
    assert attachment.filename == "evil.png"
    assert attachment.stored_name.isalnum() and len(attachment.stored_name) == 32


def test_oversize_request_gets_a_friendly_413(app, client, client_user, soporte):
    login(client, client_user.email)
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    try:
        response = file_ticket(client, files=[upload(PNG + b"\0" * 60_000, "big.png")])
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024
    assert response.status_code == 413
    assert "El archivo es demasiado grande" in response.get_data(as_text=True)


def test_too_large_file_under_the_request_limit(app, client, client_user, soporte):
    login(client, client_user.email)
    app.config["ATTACHMENT_MAX_MB"] = 0
    try:
        response = file_ticket(client, files=[upload(PNG, "photo.png")])
    finally:
        app.config["ATTACHMENT_MAX_MB"] = 10
    assert response.status_code == 400
    assert "photo.png" in response.get_data(as_text=True)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_corpus_is_escaped_in_client_and_desk_pages(
    client, app, client_user, collaborator, soporte, payload
):
    login(client, client_user.email)
    response = file_ticket(
        client,
        {
            "subject": payload,
            "description": payload,
            "cf-ubicacion": payload[:200],
            "cf-notas": payload,
            "cf-categoria": "otro",
            "cf-detalle": payload,
        },
        [upload(PNG, f"{payload[:40]}.png")],
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    ticket = only_ticket()
    token = csrf_token(client.get(f"/mesa-de-ayuda/tickets/{ticket.number}").get_data(as_text=True))
    client.post(
        f"/mesa-de-ayuda/tickets/{ticket.number}/responder",
        data={"csrf_token": token, "body": payload},
    )
    desk = app.test_client()
    login(desk, collaborator.email)
    pages = [
        client.get(f"/mesa-de-ayuda/tickets/{ticket.number}").get_data(as_text=True),
        client.get("/mesa-de-ayuda/").get_data(as_text=True),
        desk.get(f"/tablero/tickets/{ticket.number}").get_data(as_text=True),
        desk.get("/tablero/").get_data(as_text=True),
    ]
    for page in pages:
        for fragment in DANGEROUS_FRAGMENTS:
            assert fragment not in page


def test_client_reply_moves_waiting_back_to_in_progress(client, client_user, soporte):
    login(client, client_user.email)
    file_ticket(client)
    ticket = only_ticket()
    ticket.status = Status.WAITING
    db.session.commit()
    token = csrf_token(client.get(f"/mesa-de-ayuda/tickets/{ticket.number}").get_data(as_text=True))
    client.post(
        f"/mesa-de-ayuda/tickets/{ticket.number}/responder",
        data={"csrf_token": token, "body": "Ya estoy en casa"},
    )
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.first_response_at is None  # a client's words are not the desk's response
    kinds = [e.kind for e in db.session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
    assert kinds == ["created", "status", "reply"]


def test_empty_reply_is_refused_with_a_message(client, client_user, soporte):
    login(client, client_user.email)
    file_ticket(client)
    number = only_ticket().number
    token = csrf_token(client.get(f"/mesa-de-ayuda/tickets/{number}").get_data(as_text=True))
    response = client.post(
        f"/mesa-de-ayuda/tickets/{number}/responder", data={"csrf_token": token, "body": "   "}
    )
    assert response.status_code == 400
    assert db.session.scalars(select(Comment)).all() == []


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "status[]=new",
        "type=%27%3B--",
        "status=new'%20OR%201=1",
        "type=" + "x" * 5000,
    ],
)
def test_my_tickets_filters_ignore_bad_values(client, client_user, soporte, query):
    login(client, client_user.email)
    file_ticket(client)
    response = client.get(f"/mesa-de-ayuda/?{query}")
    assert response.status_code == 200
    assert "Fuga de agua" in response.get_data(as_text=True)


def test_my_tickets_filter_by_status_and_type(client, client_user, other_client, soporte):
    login(client, client_user.email)
    file_ticket(client, {"subject": "Abierta"})
    file_ticket(client, {"subject": "Cerrada"})
    closed = db.session.scalar(select(Ticket).where(Ticket.subject == "Cerrada"))
    closed.status = Status.CLOSED
    db.session.commit()
    page = client.get("/mesa-de-ayuda/?status=closed&type=soporte").get_data(as_text=True)
    assert "Cerrada" in page and "Abierta" not in page
    page = client.get("/mesa-de-ayuda/?status=new").get_data(as_text=True)
    assert "Abierta" in page and "Cerrada" not in page


def test_many_clients_filing_at_once_lose_nothing(app, soporte):
    """Ten clients press "Agregar petición" together: ten tickets, ten distinct numbers."""
    import threading

    from servicedesk.models import Role
    from tests.conftest import make_user

    people = [make_user(Role.CLIENT, f"vecino{i}@example.org") for i in range(10)]
    clients = []
    for person in people:
        c = app.test_client()
        login(c, person.email)
        clients.append(
            (c, csrf_token(c.get("/mesa-de-ayuda/nueva/soporte").get_data(as_text=True)))
        )
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def press(c, token):
        with app.app_context():
            barrier.wait()
            response = c.post(
                "/mesa-de-ayuda/nueva/soporte",
                data={
                    "csrf_token": token,
                    "subject": "Simultáneo",
                    "cf-ubicacion": "Torre",
                    "cf-categoria": "agua",
                },
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=press, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [302] * 10
    db.session.expire_all()
    numbers = sorted(db.session.scalars(select(Ticket.number)))
    assert numbers == list(range(1, 11))
