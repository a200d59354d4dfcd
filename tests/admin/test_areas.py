"""Areas: create, rename, members, deactivate and reactivate, over HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from servicedesk.admin import people
from servicedesk.extensions import db
from servicedesk.models import Area, Ticket, User
from tests.admin.helpers import make_area, post
from tests.conftest import login
from tests.factories import make_ticket, make_type

AREAS = "/administracion/areas"


def area_named(name: str) -> Area | None:
    db.session.expire_all()
    return db.session.scalar(select(Area).where(Area.name == name))


def area_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Area)) or 0


def member_ids(area: Area) -> set[int]:
    db.session.expire_all()
    return {u.id for u in db.session.get(Area, area.id).members}


def member_cell(html: str, area: Area) -> str:
    row = re.search(rf'data-testid="area-row-{area.id}".*?</tr>', html, re.S)
    assert row, html
    cell = re.search(r'data-testid="area-members">(\d+)<', row.group(0))
    assert cell
    return cell.group(1)


@pytest.fixture
def signed_in(client, admin):
    login(client, admin.email)
    return client


def test_create_area(signed_in):
    response = post(signed_in, AREAS, {"name": "  Limpieza  "})
    assert response.status_code == 302 and response.headers["Location"] == AREAS
    area = area_named("Limpieza")
    assert area is not None and area.active and area.members == []
    page = signed_in.get(AREAS).get_data(as_text=True)
    assert f'data-testid="area-row-{area.id}" data-active="true"' in page
    assert member_cell(page, area) == "0"


@pytest.mark.parametrize("name", ["Seguridad", "seguridad", " SEGURIDAD "])
def test_duplicate_name_is_refused_and_the_form_kept(signed_in, collaborator, name):
    before = area_count()
    response = post(signed_in, AREAS, {"name": name})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'value="{name}"' in page
    assert 'id="name-error"' in page and 'aria-describedby="name-error"' in page
    assert 'id="error-summary"' in page
    assert area_count() == before


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_bad_names_are_refused(signed_in, name):
    response = post(signed_in, AREAS, {"name": name})
    assert response.status_code == 400
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert area_count() == 0


def test_duplicate_slipping_past_the_check_is_a_field_error(signed_in, monkeypatch):
    make_area("Limpieza")
    monkeypatch.setattr(people, "_area_name_taken", lambda *_a, **_k: False)
    response = post(signed_in, AREAS, {"name": "Limpieza"})
    assert response.status_code == 400
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert area_count() == 1


def test_rename_area(signed_in, collaborator):
    area = area_named("Seguridad")
    response = post(
        signed_in, f"{AREAS}/{area.id}", {"name": "Seguridad física", "members": [collaborator.id]}
    )
    assert response.status_code == 302
    assert area_named("Seguridad física").id == area.id
    assert member_ids(area) == {collaborator.id}


def test_rename_to_an_existing_name_is_refused(signed_in, collaborator):
    other = make_area("Limpieza")
    response = post(signed_in, f"{AREAS}/{other.id}", {"name": "SEGURIDAD"})
    assert response.status_code == 400
    assert 'value="SEGURIDAD"' in response.get_data(as_text=True)
    assert area_named("Limpieza") is not None


def test_keeping_the_same_name_is_fine(signed_in, collaborator):
    area = area_named("Seguridad")
    response = post(
        signed_in, f"{AREAS}/{area.id}", {"name": "Seguridad", "members": [collaborator.id]}
    )
    assert response.status_code == 302


def test_deactivate_and_reactivate_keep_tickets_and_members(signed_in, collaborator, client_user):
    area = area_named("Seguridad")
    ticket = make_ticket(client_user, make_type(), area_id=area.id)
    response = post(signed_in, f"{AREAS}/{area.id}/desactivar")
    assert response.status_code == 302
    area = area_named("Seguridad")
    assert area.active is False
    assert member_ids(area) == {collaborator.id}
    assert db.session.get(Ticket, ticket.id).area_id == area.id
    assert area not in people.routable_areas()
    page = signed_in.get(AREAS).get_data(as_text=True)
    assert f'data-testid="area-row-{area.id}" data-active="false"' in page
    assert member_cell(page, area) == "1"
    assert f'action="/administracion/areas/{area.id}/reactivar"' in page

    assert post(signed_in, f"{AREAS}/{area.id}/reactivar").status_code == 302
    assert area_named("Seguridad").active is True
    assert member_ids(area) == {collaborator.id}
    assert area_named("Seguridad") in people.routable_areas()


def test_set_members_staff_only(signed_in, admin, collaborator):
    area = make_area("Limpieza")
    page = signed_in.get(f"{AREAS}/{area.id}").get_data(as_text=True)
    assert f'id="members-{collaborator.id}"' in page and f'id="members-{admin.id}"' in page
    response = post(
        signed_in,
        f"{AREAS}/{area.id}",
        {"name": "Limpieza", "members": [admin.id, collaborator.id]},
    )
    assert response.status_code == 302
    assert member_ids(area) == {admin.id, collaborator.id}
    assert member_cell(signed_in.get(AREAS).get_data(as_text=True), area) == "2"
    # Unticking everyone empties the area.
    assert post(signed_in, f"{AREAS}/{area.id}", {"name": "Limpieza"}).status_code == 302
    assert member_ids(area) == set()


def test_clients_are_not_offered_and_are_refused_as_members(signed_in, collaborator, client_user):
    area = area_named("Seguridad")
    page = signed_in.get(f"{AREAS}/{area.id}").get_data(as_text=True)
    assert f'id="members-{client_user.id}"' not in page
    assert f'id="members-{collaborator.id}"' in page
    response = post(
        signed_in,
        f"{AREAS}/{area.id}",
        {"name": "Seguridad 2", "members": [collaborator.id, client_user.id]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="members-error"' in page and 'value="Seguridad 2"' in page
    assert member_ids(area) == {collaborator.id}
    assert area_named("Seguridad") is not None
    assert db.session.get(User, client_user.id).areas == []


@pytest.mark.parametrize("members", [["abc"], ["999999"], ["1e3"], [""]])
def test_odd_member_values_are_refused_without_error(signed_in, collaborator, members):
    area = area_named("Seguridad")
    response = post(signed_in, f"{AREAS}/{area.id}", {"name": "Seguridad", "members": members})
    assert response.status_code == 400
    assert member_ids(area) == {collaborator.id}


def test_area_names_are_escaped(signed_in, collaborator):
    payload = "<script>alert(1)</script>"
    assert post(signed_in, AREAS, {"name": payload}).status_code == 302
    area = area_named(payload)
    for path in (
        AREAS,
        f"{AREAS}/{area.id}",
        "/administracion/",
        f"/administracion/usuarios/{collaborator.id}",
        "/administracion/usuarios",
    ):
        page = signed_in.get(path).get_data(as_text=True)
        assert payload not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
