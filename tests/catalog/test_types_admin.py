"""Administración → Service Desk: ticket types, the builder, versions, import and export."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from servicedesk.extensions import db
from servicedesk.models import Area, Ticket, TicketType, TicketTypeVersion
from tests.conftest import _clean, csrf_token, login, make_user
from tests.factories import make_ticket
from tests.forms_engine.hostile import HOSTILE_SCHEMAS

XSS = '<script>alert("x")</script>'


def builder_data(fields: list[dict], action: str = "refresh", **extra) -> dict:
    """Encode builder fields as the page posts them."""
    data = {"count": str(len(fields)), "action": action, **extra}
    for i, field in enumerate(fields):
        for attr, value in field.items():
            data[f"f-{i}-{attr}"] = value
    return data


def post(client, url: str, data: dict, page: str | None = None):
    """Post with a CSRF token taken from a page the user can open."""
    token = csrf_token(client.get(page or "/administracion/").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def new_type(client, key: str = "mudanza", name: str = "Mudanza") -> TicketType:
    """Create a type through its form."""
    response = post(
        client,
        "/administracion/tipos/nuevo",
        {
            "name": name,
            "key": key,
            "description": "Avisos de mudanza",
            "default_area": "",
            "default_priority": "normal",
            "color": "#112233",
            "icon": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(TicketType).where(TicketType.key == key))


FIELDS = [
    {"key": "fecha", "label": "Fecha de mudanza", "kind": "date", "required": "1"},
    {
        "key": "ascensor",
        "label": "¿Usará el ascensor?",
        "kind": "select",
        "required": "1",
        "options": "si | Sí\nno | No\nmontacargas | Montacargas",
    },
    {
        "key": "horario",
        "label": "Horario",
        "kind": "text",
        "show_when": "ascensor",
        "show_value": "si",
        "required": "1",
    },
]


def publish_fields(client, ticket_type: TicketType, fields: list[dict]):
    """Review and publish builder fields; return the publish response."""
    url = f"/administracion/tipos/{ticket_type.id}/formulario"
    review = post(client, url, builder_data(fields, "review"))
    assert review.status_code == 200, review.get_data(as_text=True)[-2000:]
    page = review.get_data(as_text=True)
    schema = re.search(r'name="schema_json" value="([^"]*)"', page).group(1)
    ui = re.search(r'name="ui_json" value="([^"]*)"', page).group(1)
    import html

    return post(
        client,
        f"/administracion/tipos/{ticket_type.id}/publicar",
        {"schema_json": html.unescape(schema), "ui_json": html.unescape(ui)},
    ), page


def test_create_type_then_build_and_publish(admin_client):
    ticket_type = new_type(admin_client)
    assert ticket_type.current_version == 0 and ticket_type.color == "#112233"
    response, review = publish_fields(admin_client, ticket_type, FIELDS)
    assert response.status_code == 302
    assert "Fecha de mudanza" in review and "/horario" in review
    db.session.refresh(ticket_type)
    assert ticket_type.current_version == 1
    version = db.session.scalar(
        select(TicketTypeVersion).where(
            TicketTypeVersion.ticket_type_id == ticket_type.id, TicketTypeVersion.number == 1
        )
    )
    assert version.schema["required"] == ["fecha", "ascensor"]
    assert version.schema["allOf"][0]["then"]["required"] == ["horario"]
    builder_page = admin_client.get(f"/administracion/tipos/{ticket_type.id}/formulario")
    assert 'value="Fecha de mudanza"' in builder_page.get_data(as_text=True)


def test_builder_buttons_add_move_remove(admin_client):
    ticket_type = new_type(admin_client)
    url = f"/administracion/tipos/{ticket_type.id}/formulario"
    page = post(admin_client, url, builder_data(FIELDS[:2], "add", new_kind="boolean"))
    html = page.get_data(as_text=True)
    assert 'name="count" value="3"' in html and 'value="campo"' in html
    moved = post(admin_client, url, builder_data(FIELDS[:2], "up:1")).get_data(as_text=True)
    assert moved.index('value="¿Usará el ascensor?"') < moved.index('value="Fecha de mudanza"')
    removed = post(admin_client, url, builder_data(FIELDS[:2], "remove:0"))
    assert 'value="Fecha de mudanza"' not in removed.get_data(as_text=True)
    assert db.session.get(TicketType, ticket_type.id).current_version == 0  # nothing published


def test_builder_errors_keep_what_was_typed(admin_client):
    ticket_type = new_type(admin_client)
    bad = [
        {"key": "Mal Clave", "label": "Algo escrito", "kind": "select", "options": ""},
        {"key": "n", "label": "N", "kind": "integer", "minimum": "muchos"},
    ]
    response = post(
        admin_client,
        f"/administracion/tipos/{ticket_type.id}/formulario",
        builder_data(bad, "review"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Algo escrito"' in page and 'value="muchos"' in page
    assert 'id="f-0-key-error"' in page and 'id="f-1-minimum-error"' in page
    assert 'aria-invalid="true"' in page


def test_preview_validates_a_test_submission(admin_client):
    ticket_type = new_type(admin_client)
    page = post(
        admin_client, f"/administracion/tipos/{ticket_type.id}/formulario", builder_data(FIELDS)
    ).get_data(as_text=True)
    assert 'name="pv-fecha"' in page  # the real engine renders the preview
    import html

    schema = html.unescape(re.search(r'name="schema_json" value="([^"]*)"', page).group(1))
    ui = html.unescape(re.search(r'name="ui_json" value="([^"]*)"', page).group(1))
    url = f"/administracion/tipos/{ticket_type.id}/vista-previa"
    failing = post(admin_client, url, {"schema_json": schema, "ui_json": ui, "pv-ascensor": "si"})
    assert failing.status_code == 400
    assert "Este campo es obligatorio." in failing.get_data(as_text=True)
    passing = post(
        admin_client,
        url,
        {
            "schema_json": schema,
            "ui_json": ui,
            "pv-ascensor": "no",
            "pv-fecha": "2026-12-01",
            "pv-horario": "leaks?",
        },
    )
    assert passing.status_code == 200
    parsed = passing.get_data(as_text=True)
    assert "2026-12-01" in parsed and "leaks?" not in parsed.split('data-testid="parsed"')[1][:200]


def test_review_counts_tickets_touched_by_breaking_changes(admin_client, client_user):
    ticket_type = new_type(admin_client)
    publish_fields(admin_client, ticket_type, FIELDS)
    version = db.session.scalar(
        select(TicketTypeVersion).where(
            TicketTypeVersion.ticket_type_id == ticket_type.id, TicketTypeVersion.number == 1
        )
    )
    make_ticket(client_user, version, "A", data={"fecha": "2026-01-01", "ascensor": "montacargas"})
    make_ticket(
        client_user, version, "B", data={"fecha": "2026-01-02", "ascensor": "si", "horario": "9-12"}
    )
    changed = [FIELDS[0], {**FIELDS[1], "options": "si | Sí\nno | No"}]  # drop montacargas, horario
    review = post(
        admin_client,
        f"/administracion/tipos/{ticket_type.id}/formulario",
        builder_data(changed, "review"),
    ).get_data(as_text=True)
    found = set(re.findall(r'data-change="([^"]+)"', review))
    assert "options_removed /ascensor 1" in found
    assert "removed /horario 1" in found
    assert "Opciones eliminadas" in review


def test_earlier_tickets_keep_their_version(admin_client, client_user, collaborator):
    ticket_type = new_type(admin_client)
    publish_fields(admin_client, ticket_type, FIELDS)
    first = db.session.scalar(
        select(TicketTypeVersion).where(
            TicketTypeVersion.ticket_type_id == ticket_type.id, TicketTypeVersion.number == 1
        )
    )
    ticket = make_ticket(
        client_user,
        first,
        "Mudanza",
        data={"fecha": "2026-01-01", "ascensor": "si", "horario": "9 a 12"},
    )
    publish_fields(admin_client, ticket_type, [FIELDS[0]])
    assert db.session.get(TicketType, ticket_type.id).current_version == 2
    other = admin_client.application.test_client()
    login(other, collaborator.email)
    page = other.get(f"/tablero/tickets/{ticket.number}").get_data(as_text=True)
    assert "¿Usará el ascensor?" in page and "Sí" in page and "9 a 12" in page
    assert db.session.get(Ticket, ticket.id).type_version_id == first.id


def test_raw_json_errors_are_pointed_and_nothing_changes(admin_client):
    ticket_type = new_type(admin_client)
    url = f"/administracion/tipos/{ticket_type.id}/json"
    broken = post(admin_client, url, {"schema_text": "{not json", "ui_text": "{}"})
    assert broken.status_code == 400
    assert "{not json" in broken.get_data(as_text=True)
    bad = {"type": "object", "properties": {"x": {"type": "string"}}}  # no maxLength
    response = post(admin_client, url, {"schema_text": json.dumps(bad), "ui_text": "{}"})
    assert response.status_code == 400
    assert "<code>/properties/x" in response.get_data(as_text=True)
    assert db.session.get(TicketType, ticket_type.id).current_version == 0


@pytest.mark.parametrize(("name", "schema"), HOSTILE_SCHEMAS, ids=[n for n, _s in HOSTILE_SCHEMAS])
def test_hostile_schemas_are_refused_on_import(admin_client, name, schema):
    doc = {
        "format": "servicedesk.ticket-type/1",
        "key": "hostil",
        "name": "Hostil",
        "schema": schema,
        "ui": {},
    }
    text = json.dumps(doc)
    response = post(admin_client, "/administracion/tipos/importar", {"text": text})
    assert response.status_code in (400, 413)
    assert db.session.scalar(select(func.count()).select_from(TicketType)) == 0


@pytest.mark.parametrize(
    ("name", "schema"), HOSTILE_SCHEMAS[:6], ids=[n for n, _s in HOSTILE_SCHEMAS[:6]]
)
def test_hostile_schemas_are_refused_in_the_json_editor(admin_client, name, schema):
    ticket_type = new_type(admin_client)
    response = post(
        admin_client,
        f"/administracion/tipos/{ticket_type.id}/json",
        {"schema_text": json.dumps(schema), "ui_text": "{}"},
    )
    assert response.status_code in (400, 413)
    assert db.session.get(TicketType, ticket_type.id).current_version == 0


def test_export_import_round_trip_across_installations(app, admin_client):
    db.session.add(Area(name="Mudanzas"))
    db.session.commit()
    ticket_type = new_type(admin_client)
    edit = post(
        admin_client,
        f"/administracion/tipos/{ticket_type.id}",
        {
            "name": "Mudanza",
            "key": "mudanza",
            "description": "Avisos",
            "default_priority": "high",
            "color": "#112233",
            "icon": "truck",
            "default_area": str(db.session.scalar(select(Area.id))),
        },
    )
    assert edit.status_code == 302
    publish_fields(admin_client, ticket_type, FIELDS)
    exported = admin_client.get(f"/administracion/tipos/{ticket_type.id}/exportar")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    document = exported.get_json()
    _clean(app)  # a brand-new installation
    db.session.add(Area(name="Mudanzas"))
    db.session.commit()
    fresh = admin_client.application.test_client()
    login(fresh, make_user_admin().email)
    response = post(fresh, "/administracion/tipos/importar", {"text": json.dumps(document)})
    assert response.status_code == 302
    imported = db.session.scalar(select(TicketType).where(TicketType.key == "mudanza"))
    again = fresh.get(f"/administracion/tipos/{imported.id}/exportar").get_json()
    assert {k: v for k, v in again.items() if k != "version"} == {
        k: v for k, v in document.items() if k != "version"
    }


def make_user_admin():
    """Create the administrator of the second installation."""
    from servicedesk.models import Role

    return make_user(Role.ADMIN, "admin2@example.org")


def test_deactivated_type_takes_no_new_tickets(admin_client, client_user):
    ticket_type = new_type(admin_client)
    publish_fields(admin_client, ticket_type, FIELDS)
    post(admin_client, f"/administracion/tipos/{ticket_type.id}/estado", {"active": "0"})
    assert db.session.get(TicketType, ticket_type.id).active is False
    other = admin_client.application.test_client()
    login(other, client_user.email)
    assert "Mudanza" not in other.get("/mesa-de-ayuda/nueva").get_data(as_text=True)
    assert other.get("/mesa-de-ayuda/nueva/mudanza").status_code == 404


def test_admin_labels_are_escaped_everywhere(admin_client, client_user, collaborator):
    ticket_type = new_type(admin_client, name=XSS)
    fields = [
        {"key": "campo", "label": XSS, "kind": "select", "help": XSS, "options": f"a | {XSS}"}
    ]
    publish_fields(admin_client, ticket_type, fields)
    version = db.session.scalar(
        select(TicketTypeVersion).where(
            TicketTypeVersion.ticket_type_id == ticket_type.id, TicketTypeVersion.number == 1
        )
    )
    ticket = make_ticket(client_user, version, XSS, data={"campo": "a"})
    pages = [
        admin_client.get(u).get_data(as_text=True)
        for u in (
            "/administracion/tipos",
            f"/administracion/tipos/{ticket_type.id}/formulario",
            f"/administracion/tipos/{ticket_type.id}/versiones/1",
        )
    ]
    client_side = admin_client.application.test_client()
    login(client_side, client_user.email)
    pages += [
        client_side.get(u).get_data(as_text=True)
        for u in (
            "/mesa-de-ayuda/nueva",
            "/mesa-de-ayuda/nueva/mudanza",
            f"/mesa-de-ayuda/tickets/{ticket.number}",
        )
    ]
    desk = admin_client.application.test_client()
    login(desk, collaborator.email)
    pages.append(desk.get(f"/tablero/tickets/{ticket.number}").get_data(as_text=True))
    for page in pages:
        assert XSS not in page
        assert "&lt;script&gt;" in page


ROUTES = [
    ("GET", "/administracion/tipos"),
    ("GET", "/administracion/tipos/nuevo"),
    ("POST", "/administracion/tipos/nuevo"),
    ("GET", "/administracion/tipos/{id}"),
    ("POST", "/administracion/tipos/{id}"),
    ("POST", "/administracion/tipos/{id}/estado"),
    ("GET", "/administracion/tipos/{id}/formulario"),
    ("POST", "/administracion/tipos/{id}/formulario"),
    ("GET", "/administracion/tipos/{id}/json"),
    ("POST", "/administracion/tipos/{id}/json"),
    ("POST", "/administracion/tipos/{id}/publicar"),
    ("POST", "/administracion/tipos/{id}/vista-previa"),
    ("GET", "/administracion/tipos/{id}/versiones"),
    ("GET", "/administracion/tipos/{id}/versiones/1"),
    ("GET", "/administracion/tipos/{id}/exportar"),
    ("GET", "/administracion/tipos/importar"),
    ("POST", "/administracion/tipos/importar"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("who", ["anonymous", "client_user", "collaborator"])
def test_only_administrators_reach_type_pages(request, client, admin, method, path, who):
    login(client, admin.email)
    ticket_type = new_type(client, key="k")
    client.post(
        "/logout",
        data={"csrf_token": csrf_token(client.get("/administracion/").get_data(as_text=True))},
    )
    if who != "anonymous":
        login(client, request.getfixturevalue(who).email)
    home = client.get("/login" if who == "anonymous" else "/")
    token = csrf_token(client.get(home.headers.get("Location", "/login")).get_data(as_text=True))
    url = path.format(id=ticket_type.id)
    response = client.open(url, method=method, data={"csrf_token": token, "active": "0"})
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    db.session.refresh(ticket_type)
    assert ticket_type.active and ticket_type.current_version == 0


def test_draft07_dependencies_in_the_json_editor_is_reviewed_with_a_warning(admin_client):
    """Issue #17: dependencies is read as dependentRequired/dependentSchemas, never a 500."""
    ticket_type = new_type(admin_client)
    schema = {
        "type": "object",
        "properties": {
            "card": {"type": "boolean"},
            "billing": {"type": "string", "maxLength": 40},
            "note": {"type": "string", "maxLength": 40},
        },
        "dependencies": {
            "card": ["billing"],
            "note": {"properties": {"billing": {"minLength": 5}}},
        },
    }
    url = f"/administracion/tipos/{ticket_type.id}/json"
    response = post(admin_client, url, {"schema_text": json.dumps(schema), "ui_text": "{}"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert 'data-testid="warnings"' in page
    assert "se lee como dependentRequired" in page
    # nothing is published until the review is confirmed (a new type is a draft)
    assert db.session.get(TicketType, ticket_type.id).current_version == 0


def test_schema_problems_are_in_spanish_in_the_json_editor(admin_client):
    ticket_type = new_type(admin_client)
    schema = {"type": "object", "properties": {"x": {"$ref": "https://example.org/x.json"}}}
    url = f"/administracion/tipos/{ticket_type.id}/json"
    response = post(admin_client, url, {"schema_text": json.dumps(schema), "ui_text": "{}"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "no se admite un $ref remoto" in page and "remote $ref is not allowed" not in page


def test_import_report_speaks_the_readers_language(admin_client, admin):
    doc = {"format": "otro/1", "key": "Mal Nombre", "name": "", "schema": [], "active": "sí"}
    url = "/administracion/tipos/importar"
    page = post(admin_client, url, {"text": json.dumps(doc)}).get_data(as_text=True)
    assert "debe ser &#34;servicedesk.ticket-type/1&#34;" in page and "es obligatorio" in page
    assert "debe ser un objeto JSON" in page and "debe ser de tipo bool" in page
    assert "must be" not in page
    admin.language = "en"
    db.session.commit()
    english = post(admin_client, url, {"text": json.dumps(doc)}).get_data(as_text=True)
    assert "must be a JSON object" in english and "is required" in english
    assert "debe ser" not in english
    assert db.session.scalar(select(func.count()).select_from(TicketType)) == 0
