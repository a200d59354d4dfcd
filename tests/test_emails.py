"""One e-mail rule: the forms, filing for a client and the people rules accept the same."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from servicedesk.admin import people
from servicedesk.auth.forms import InviteForm
from servicedesk.emails import is_email, normalise_email
from servicedesk.extensions import db
from servicedesk.models import User
from tests.conftest import login
from tests.tickets.conftest import file_ticket

REFUSED = ["vecina", "vecina@localhost", "vecina@@example.org", "a" * 250 + "@example.org"]


def test_the_rule_itself():
    assert normalise_email("  Vecina@Example.ORG ") == "vecina@example.org"
    assert is_email("vecina@example.org") and is_email("josé@ejemplo.es")
    assert not any(is_email(address) for address in REFUSED)


@pytest.mark.parametrize("address", REFUSED)
def test_the_invitation_form_refuses(app, address):
    with app.test_request_context("/"):
        form = InviteForm(
            MultiDict({"name": "Vecina", "email": address, "role": "client", "language": "es"}),
            meta={"csrf": False},
        )
        assert not form.validate() and form.email.errors


@pytest.mark.parametrize("address", REFUSED)
def test_filing_for_a_client_refuses_the_same(app, admin, soporte, address):
    desk = app.test_client()
    login(desk, admin.email)
    data = {"requester_email": address, "requester_name": "Vecina", "channel": "walk_in"}
    assert file_ticket(desk, data, path="/tablero/nueva/").status_code == 400
    assert db.session.scalar(select(User).where(User.name == "Vecina")) is None


@pytest.mark.parametrize("address", REFUSED)
def test_the_people_rules_refuse_the_same(app, admin, address):
    with pytest.raises(people.PeopleError):
        people.invite(admin, name="Vecina", email=address, role="client", language="es")
