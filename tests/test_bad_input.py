"""Bad input over the web and the API: a clear 4xx in the user's language, never a 500.

The values are those that reached a 500 before (issue 14, item 9): ids beyond the INTEGER
range, JSON nested 100,000 deep, NUL inside JSON and forms (PostgreSQL refuses it in text),
a lone surrogate (cannot be encoded to UTF-8), dates outside what a datetime can hold, and a
draft-07 keyword in a schema. Each test also checks that nothing was saved.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from servicedesk.extensions import db
from servicedesk.models import Ticket, TicketType, TicketTypeVersion
from tests.conftest import csrf_token, login

DEEP = "[" * 100_000 + "]" * 100_000
BEYOND = "2147483648"


def count(model) -> int:
    """Rows of a model in the database."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "path",
    [
        "/informes/exportaciones/" + BEYOND,
        "/informes/exportaciones/" + BEYOND + ".json",
        "/mesa-de-ayuda/" + BEYOND,
        "/tablero/" + BEYOND,
        "/administracion/tipos/" + BEYOND + "/json",
    ],
)
def test_web_ids_beyond_the_integer_range_are_404(app, admin, path):
    web = app.test_client()
    login(web, admin.email)
    assert web.get(path).status_code == 404


def test_admin_json_editor_refuses_deep_nul_and_surrogate_json_keeping_the_text(
    app, admin, soporte
):
    web = app.test_client()
    login(web, admin.email)
    type_id = soporte.ticket_type_id
    page = f"/administracion/tipos/{type_id}/json"
    before = count(TicketTypeVersion)
    for schema_text in (
        DEEP,
        '{"type": "object", "title": "a\\u0000"}',
        '{"type": "object", "title": "\\ud800"}',
        '{"type": "object", "dependencies": {"a": ["b"]}}',
    ):
        token = csrf_token(web.get(page).get_data(as_text=True))
        response = web.post(
            page, data={"csrf_token": token, "schema_text": schema_text, "ui_text": "{}"}
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 400, html[:300]
        assert 'class="invalid-feedback' in html or "alert" in html
        # What the administrator typed comes back (escaped) so nothing is lost.
        assert schema_text[:40].replace('"', "&#34;") in html or schema_text[:40] in html
    assert count(TicketTypeVersion) == before


def test_admin_import_refuses_deep_json_and_nul(app, admin):
    web = app.test_client()
    login(web, admin.email)
    before = count(TicketType)
    for text in (DEEP, json.dumps({"format": "x", "key": "a\u0000"})):
        token = csrf_token(web.get("/administracion/tipos/importar").get_data(as_text=True))
        response = web.post(
            "/administracion/tipos/importar", data={"csrf_token": token, "text": text}
        )
        assert response.status_code == 400
        assert "JSON" in response.get_data(as_text=True)
    assert count(TicketType) == before


@pytest.mark.parametrize(
    "query",
    [
        "created_from=0001-01-01",
        "created_to=9999-12-31",
        "updated_from=0001-01-01",
        "updated_to=9999-12-31",
        "created_from=1000-01-01",
    ],
)
def test_dates_outside_a_sane_range_are_refused_in_the_users_language(app, admin, query):
    web = app.test_client()
    login(web, admin.email)
    response = web.get("/tablero/?" + query)
    assert response.status_code == 400
    assert "fecha" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["a\u0000b", "\u0000"])
def test_nul_in_web_forms_and_queries_never_reaches_the_database(app, client_user, soporte, value):
    web = app.test_client()
    login(web, client_user.email)
    page = f"/mesa-de-ayuda/nueva/{soporte.ticket_type.key}"
    token = csrf_token(web.get(page).get_data(as_text=True))
    response = web.post(
        page,
        data={
            "csrf_token": token,
            "subject": "Fuga" + value,
            "description": value,
            "cf-ubicacion": "Depto" + value,
            "cf-categoria": "agua",
        },
    )
    assert response.status_code < 500
    assert web.get("/mesa-de-ayuda/?q=" + value).status_code < 500
    for subject in db.session.scalars(select(Ticket.subject)):
        assert "\u0000" not in subject
