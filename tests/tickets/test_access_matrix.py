"""Every ticket route × every kind of visitor, with the exact outcome (security.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Attachment, Status, Ticket
from tests.conftest import csrf_token, login
from tests.tickets.conftest import PNG, file_ticket, upload

VISITORS = ["anonymous", "owner", "other_client", "collaborator", "admin"]
L, OK, GO, NF, NO = "login", 200, 302, 404, 403
# route -> expected outcome per visitor (anonymous, owner, other client, collaborator, admin)
MATRIX = {
    ("GET", "/mesa-de-ayuda/tickets/{n}"): (L, OK, NF, NO, NO),
    ("POST", "/mesa-de-ayuda/tickets/{n}/responder"): (L, GO, NF, NO, NO),
    ("POST", "/mesa-de-ayuda/tickets/{n}/reabrir"): (L, GO, NF, NO, NO),
    ("POST", "/mesa-de-ayuda/tickets/{n}/valorar"): (L, 400, NF, NO, NO),
    ("GET", "/tablero/tickets/{n}"): (L, NF, NF, OK, OK),
    ("POST", "/tablero/tickets/{n}/responder"): (L, NF, NF, GO, GO),
    ("POST", "/tablero/tickets/{n}/propiedades"): (L, NF, NF, GO, GO),
    ("POST", "/tablero/tickets/{n}/cerrar"): (L, NF, NF, GO, GO),
    ("POST", "/tablero/tickets/{n}/tomar"): (L, NF, NF, GO, GO),
    ("POST", "/tablero/tickets/{n}/asignar"): (L, NF, NF, NO, GO),
    ("GET", "/tablero/tickets/{n}/campos"): (L, NF, NF, OK, OK),
    ("POST", "/tablero/tickets/{n}/campos"): (L, NF, NF, GO, GO),
    ("GET", "/tablero/tickets/{n}/pdf"): (L, NF, NF, OK, OK),
    ("GET", "/adjuntos/{a}"): (L, OK, NF, OK, OK),
    ("GET", "/adjuntos/{a}/miniatura"): (L, OK, NF, OK, OK),
}


@pytest.fixture
def world(app, client_user, other_client, collaborator, admin, soporte):
    """A ticket filed by the owner with a photo; returns its number and attachment id."""
    owner = app.test_client()
    login(owner, client_user.email)
    file_ticket(owner, files=[upload(PNG, "foto.png")])
    ticket = db.session.scalars(select(Ticket)).one()
    attachment = db.session.scalars(select(Attachment)).one()
    return {
        "n": ticket.number,
        "a": attachment.id,
        "version": ticket.version,
        "users": {
            "owner": client_user,
            "other_client": other_client,
            "collaborator": collaborator,
            "admin": admin,
        },
    }


def visit(app, world, visitor: str, method: str, path: str):
    """Make one request as one visitor with a valid CSRF token and plausible form data."""
    c = app.test_client()
    token_page = "/login"
    if visitor != "anonymous":
        login(c, world["users"][visitor].email)
        token_page = c.get("/").headers["Location"]
    token = csrf_token(c.get(token_page).get_data(as_text=True))
    data = {
        "csrf_token": token,
        "body": "hola",
        "status": "in_progress",
        "priority": "normal",
        "area_id": "",
        "version": str(world["version"]),
        "resolution": "",
        "seen_assignee": "",
        "assignee_id": "",
        "rating": "5",
        "cf-ubicacion": "x",
        "cf-categoria": "agua",
    }
    response = c.open(path.format(**world), method=method, data=data if method == "POST" else None)
    response.close()
    return response


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
@pytest.mark.parametrize("visitor", VISITORS)
def test_ticket_route_matrix(app, world, method, path, visitor):
    expected = MATRIX[(method, path)][VISITORS.index(visitor)]
    response = visit(app, world, visitor, method, path)
    if expected == L:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == expected


def test_unsafe_ticket_routes_refuse_a_missing_csrf_token(app, world):
    for method, path in MATRIX:
        if method != "POST":
            continue
        c = app.test_client()
        login(c, world["users"]["admin" if path.startswith("/tablero") else "owner"].email)
        assert c.post(path.format(**world), data={"body": "x"}).status_code == 400, path
    assert db.session.scalars(select(Ticket)).one().status == Status.NEW


def test_every_ticket_route_is_in_the_matrix(app):
    covered = {
        path.replace("{n}", "<int:number>").replace("{a}", "<int:attachment_id>")
        for _m, path in MATRIX
    }
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/administracion", "/api/")):
            continue  # form versions: the administration matrix; the API: its own matrix
        if "<int:number>" in rule.rule or "<int:attachment_id>" in rule.rule:
            assert rule.rule in covered, f"{rule.rule} is not in the access matrix"


def test_other_clients_tickets_never_listed(app, world, other_client):
    c = app.test_client()
    login(c, other_client.email)
    page = c.get("/mesa-de-ayuda/").get_data(as_text=True)
    assert "Fuga de agua" not in page and f"/tickets/{world['n']}" not in page
