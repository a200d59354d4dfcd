"""A request is private between its author and the desk."""

from __future__ import annotations

from servicedesk.extensions import db
from servicedesk.models import Status
from servicedesk.tickets.visibility import visible_tickets
from tests.conftest import login
from tests.factories import make_ticket, make_type


def test_visible_tickets_rule(app, client_user, other_client, collaborator, admin):
    version = make_type()
    mine = make_ticket(client_user, version, "Mi petición")
    theirs = make_ticket(other_client, version, "Petición ajena")
    ids = lambda user: {t.id for t in db.session.scalars(visible_tickets(user))}  # noqa: E731
    assert ids(client_user) == {mine.id}
    assert ids(other_client) == {theirs.id}
    assert ids(collaborator) == ids(admin) == {mine.id, theirs.id}
    assert ids(None) == set()


def test_client_list_shows_only_own_tickets(client, client_user, other_client):
    version = make_type()
    make_ticket(client_user, version, "Mi petición")
    make_ticket(other_client, version, "Petición ajena")
    login(client, client_user.email)
    page = client.get("/mesa-de-ayuda/").get_data(as_text=True)
    assert "Mi petición" in page and "Petición ajena" not in page


def test_dashboard_lists_active_tickets_for_staff(client, collaborator, client_user):
    version = make_type()
    make_ticket(client_user, version, "Activa", status=Status.OPEN)
    make_ticket(client_user, version, "Cerrada", status=Status.CLOSED)
    login(client, collaborator.email)
    page = client.get("/tablero/").get_data(as_text=True)
    assert "Activa" in page and "Cerrada" not in page


def test_subjects_are_escaped(client, collaborator, client_user):
    version = make_type()
    make_ticket(client_user, version, "<script>alert(1)</script>", status=Status.OPEN)
    login(client, collaborator.email)
    page = client.get("/tablero/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
