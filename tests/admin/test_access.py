"""Every administration route x every kind of visitor, and CSRF on every unsafe route."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Area, AuthToken, User
from tests.admin.helpers import invited_user, make_area, token_for
from tests.conftest import login

HOME = {
    "anonymous": "/login",
    "client_user": "/mesa-de-ayuda/",
    "collaborator": "/tablero/",
    "admin": "/administracion/",
}


def routes(area_id: int, user_id: int) -> list[tuple[str, str, dict]]:
    """Every administration route of areas and users, with valid data for a POST."""
    a, u = f"/administracion/areas/{area_id}", f"/administracion/usuarios/{user_id}"
    return [
        ("GET", "/administracion/areas", {}),
        ("POST", "/administracion/areas", {"name": "Limpieza"}),
        ("GET", a, {}),
        ("POST", a, {"name": "Mantenimiento general"}),
        ("POST", f"{a}/desactivar", {}),
        ("POST", f"{a}/reactivar", {}),
        ("GET", "/administracion/usuarios", {}),
        ("GET", "/administracion/usuarios?role=client&state=active&q=x&area=1&page=2", {}),
        (
            "POST",
            "/administracion/usuarios",
            {"name": "Nora Nueva", "email": "nora@example.org", "role": "client", "language": "es"},
        ),
        ("GET", u, {}),
        ("POST", u, {"name": "Iván Cambiado", "role": "collaborator", "language": "en"}),
        ("POST", f"{u}/desactivar", {}),
        ("POST", f"{u}/reactivar", {}),
        ("POST", f"{u}/reenviar-invitacion", {}),
    ]


def snapshot() -> tuple:
    """What the routes above could change."""
    db.session.expire_all()
    areas = [(a.name, a.active) for a in db.session.scalars(select(Area).order_by(Area.id))]
    users = [
        (u.email, u.name, u.role, u.language, u.active, u.session_token)
        for u in db.session.scalars(select(User).order_by(User.id))
    ]
    tokens = len(db.session.scalars(select(AuthToken)).all())
    return areas, users, tokens


@pytest.mark.parametrize("who", ["anonymous", "client_user", "collaborator", "admin"])
def test_role_matrix(request, client, who, mailbox):
    area = make_area("Mantenimiento")
    target = invited_user()
    if who != "anonymous":
        user = request.getfixturevalue(who)
        assert login(client, user.email).status_code == 302
    for method, path, data in routes(area.id, target.id):
        before = snapshot()
        if method == "GET":
            response = client.get(path)
        else:
            data = {**data, "csrf_token": token_for(client, HOME[who])}
            response = client.post(path, data=data)
        where = f"{who} {method} {path}"
        if who == "anonymous":
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/login?next="), where
        elif who in ("client_user", "collaborator"):
            assert response.status_code == 403, where
        elif method == "GET":
            assert response.status_code == 200, where
        else:
            assert response.status_code == 302, where
            assert not response.headers["Location"].startswith("/login"), where
        if who != "admin":
            assert snapshot() == before, where


def test_every_post_without_csrf_token_is_refused(client, admin, mailbox):
    area = make_area("Mantenimiento")
    target = invited_user()
    login(client, admin.email)
    before = snapshot()
    posts = [(p, d) for m, p, d in routes(area.id, target.id) if m == "POST"]
    assert len(posts) == 9
    for path, data in posts:
        assert client.post(path, data=data).status_code == 400, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400, path
    assert snapshot() == before
    assert mailbox.messages == []


def test_get_pages_write_nothing(client, admin):
    area = make_area("Mantenimiento")
    target = invited_user()
    login(client, admin.email)
    before = snapshot()
    for method, path, _data in routes(area.id, target.id):
        if method == "GET":
            assert client.get(path).status_code == 200
    for path in (
        f"/administracion/areas/{area.id}/desactivar",
        f"/administracion/usuarios/{target.id}/desactivar",
        f"/administracion/usuarios/{target.id}/reenviar-invitacion",
    ):
        assert client.get(path).status_code == 405
    assert snapshot() == before


def test_unknown_ids_answer_404(client, admin):
    login(client, admin.email)
    assert client.get("/administracion/areas/999999").status_code == 404
    assert client.get("/administracion/usuarios/999999").status_code == 404
    token = token_for(client, "/administracion/")
    for path in (
        "/administracion/areas/999999",
        "/administracion/areas/999999/desactivar",
        "/administracion/usuarios/999999/desactivar",
        "/administracion/usuarios/999999/reenviar-invitacion",
    ):
        assert client.post(path, data={"csrf_token": token, "name": "X"}).status_code == 404


def test_admin_overview_links_to_areas(client, admin):
    login(client, admin.email)
    page = client.get("/administracion/").get_data(as_text=True)
    assert 'href="/administracion/areas"' in page
