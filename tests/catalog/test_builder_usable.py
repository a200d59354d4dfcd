"""The builder an office manager can use: keys from labels, only the properties that apply,
whole numbers as typed, texts in two languages, and a new type kept a draft until published.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Role, Ticket, TicketType, TicketTypeVersion
from tests.api.conftest import Api, issue_token
from tests.catalog.test_types_admin import FIELDS, builder_data, new_type, post, publish_fields
from tests.conftest import Mailbox, login, make_user
from tests.tickets.conftest import file_ticket


def builder(client, ticket_type: TicketType, fields: list[dict], action: str = "refresh"):
    """Post the builder's fields with one of its buttons."""
    return post(
        client, f"/administracion/tipos/{ticket_type.id}/formulario", builder_data(fields, action)
    )


def key_of(page: str, index: int) -> str:
    """The key shown on a field's card."""
    return re.search(rf'id="f-{index}-key" name="f-{index}-key" value="([^"]*)"', page).group(1)


def current(ticket_type: TicketType) -> TicketTypeVersion:
    """The type's current version, read again."""
    db.session.refresh(ticket_type)
    return db.session.scalar(
        select(TicketTypeVersion).where(
            TicketTypeVersion.ticket_type_id == ticket_type.id,
            TicketTypeVersion.number == ticket_type.current_version,
        )
    )


# ---------------------------------------------------------------- keys


def test_keys_are_made_from_labels_and_kept_unique(admin_client):
    ticket_type = new_type(admin_client)
    fields = [
        {"label": "Área común", "key": "", "kind": "text"},
        {"label": "Área común", "key": "", "kind": "text"},
        {"label": "¿Cuántas personas?", "key": "", "kind": "integer"},
        {"label": "Señal", "key": "mi_clave", "auto_key": "campo", "kind": "text"},  # typed
        {"label": "Niño pequeño", "key": "campo_2", "auto_key": "campo_2", "kind": "text"},
        {"label": "1er piso", "key": "", "kind": "text"},
    ]
    page = builder(admin_client, ticket_type, fields).get_data(as_text=True)
    keys = [key_of(page, i) for i in range(len(fields))]
    assert keys == [
        "area_comun",
        "area_comun_2",
        "cuantas_personas",
        "mi_clave",
        "nino_pequeno",
        "campo_1er_piso",
    ]
    # A derived key travels on as such (it follows the label); a typed one does not.
    assert 'name="f-0-auto_key" value="area_comun"' in page
    assert 'name="f-3-auto_key" value=""' in page

    response, _review = publish_fields(admin_client, ticket_type, fields)
    assert response.status_code == 302
    version = current(ticket_type)
    assert set(version.schema["properties"]) == set(keys)  # JSONB keeps no key order
    assert version.ui["order"] == keys


def test_a_new_field_gets_a_key_and_a_typed_key_that_clashes_is_refused(admin_client):
    ticket_type = new_type(admin_client)
    added = builder(admin_client, ticket_type, [FIELDS[0]], "add").get_data(as_text=True)
    assert key_of(added, 1) == "campo"  # no label yet: a placeholder key, still derived
    assert 'name="f-1-auto_key" value="campo"' in added
    clash = [FIELDS[0], {"label": "Otra fecha", "key": "fecha", "kind": "date"}]
    response = builder(admin_client, ticket_type, clash)
    assert response.status_code == 400
    assert "Otro campo ya usa esta clave." in response.get_data(as_text=True)


def test_published_keys_do_not_follow_their_labels(admin_client):
    ticket_type = new_type(admin_client)
    publish_fields(admin_client, ticket_type, [{"label": "Área común", "key": "", "kind": "text"}])
    page = admin_client.get(f"/administracion/tipos/{ticket_type.id}/formulario").get_data(
        as_text=True
    )
    assert key_of(page, 0) == "area_comun" and 'name="f-0-auto_key" value=""' in page
    renamed = [{"label": "Zona", "key": "area_comun", "auto_key": "", "kind": "text"}]
    assert key_of(builder(admin_client, ticket_type, renamed).get_data(as_text=True), 0) == (
        "area_comun"
    )


# ---------------------------------------------------------------- properties and numbers


def test_only_the_kinds_properties_are_shown_and_the_others_ignored(admin_client):
    ticket_type = new_type(admin_client)
    fields = [
        # Left over from other kinds (hidden on the card): unreadable, but never read.
        {"label": "Nombre", "kind": "text", "minimum": "muchos", "max_items": "x"},
        {"label": "Acepto", "kind": "boolean", "max_length": "5", "options": "a | A"},
        {"label": "Fecha", "kind": "date", "pattern": "^x$", "placeholder": "hoy"},
    ]
    response = builder(admin_client, ticket_type, fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[-3000:]
    assert re.search(r'data-prop="minimum" hidden>\s*<label[^>]*for="f-0-minimum"', page)
    assert re.search(r'data-prop="max_length">\s*<label[^>]*for="f-0-max_length"', page)
    assert re.search(r'data-prop="max_length" hidden>\s*<label[^>]*for="f-1-max_length"', page)
    publish_fields(admin_client, ticket_type, fields)
    properties = current(ticket_type).schema["properties"]
    assert "minimum" not in properties["nombre"]
    assert "maxLength" not in properties["acepto"] and "oneOf" not in properties["acepto"]
    assert "pattern" not in properties["fecha"]
    assert "fields" not in current(ticket_type).ui  # no placeholder on a date


def test_whole_numbers_are_shown_as_typed(admin_client):
    ticket_type = new_type(admin_client)
    fields = [
        {"label": "Personas", "kind": "integer", "minimum": "1", "maximum": "10", "default": "5"},
        {"label": "Metros", "kind": "number", "minimum": "0", "maximum": "2.5", "default": "2"},
        {"label": "Fotos", "kind": "file", "max_items": "3", "max_size_mb": "10"},
    ]
    publish_fields(admin_client, ticket_type, fields)
    properties = current(ticket_type).schema["properties"]
    assert properties["personas"]["minimum"] == 1 and properties["metros"]["default"] == 2
    page = admin_client.get(f"/administracion/tipos/{ticket_type.id}/formulario").get_data(
        as_text=True
    )
    for attr, value in [
        ("0-minimum", "1"),
        ("0-maximum", "10"),
        ("0-default", "5"),
        ("1-minimum", "0"),
        ("1-maximum", "2.5"),
        ("1-default", "2"),
        ("2-max_items", "3"),
        ("2-max_size_mb", "10"),
    ]:
        assert f'name="f-{attr}" value="{value}"' in page, attr
    assert '.0"' not in page
    halves = [{"label": "Personas", "kind": "integer", "minimum": "1.5", "default": "2.0"}]
    refused = builder(admin_client, ticket_type, halves)
    assert refused.status_code == 400
    assert refused.get_data(as_text=True).count("Escribe un número entero.") == 2


# ---------------------------------------------------------------- two languages

BILINGUAL = [
    {
        "label": "Área común",
        "label_en": "Common area",
        "help": "Dónde reservas",
        "help_en": "Where you book",
        "kind": "select",
        "required": "1",
        "options": "salon | Salón de fiestas\nalberca | Alberca",
        "options_en": "salon | Party room\nalberca | Pool",
    },
    # Only in Spanish: English readers get the Spanish text.
    {"label": "Comentarios", "kind": "text", "help": "Lo que quieras añadir"},
    # One option without its English label: that one falls back to Spanish.
    {
        "label": "Turno",
        "label_en": "Shift",
        "kind": "radio",
        "options": "manana | Mañana\ntarde | Tarde",
        "options_en": "Morning",  # plain labels, in order
    },
]


def test_texts_in_both_languages_reach_each_reader(app, admin_client, collaborator):
    ticket_type = new_type(admin_client, key="reserva", name="Reserva")
    response, _review = publish_fields(admin_client, ticket_type, BILINGUAL)
    assert response.status_code == 302
    version = current(ticket_type)
    assert version.schema["properties"]["area_comun"]["title"] == "Área común"
    assert version.ui["fields"]["area_comun"]["label"] == {"es": "Área común", "en": "Common area"}
    assert version.ui["fields"]["area_comun"]["options"]["alberca"] == {
        "es": "Alberca",
        "en": "Pool",
    }
    assert version.ui["fields"]["turno"]["options"] == {"manana": {"es": "Mañana", "en": "Morning"}}
    # The builder reads them back for the next edit.
    page = admin_client.get(f"/administracion/tipos/{ticket_type.id}/formulario").get_data(
        as_text=True
    )
    assert 'value="Common area"' in page and "alberca | Pool" in page
    other = page.split('data-testid="other-preview"')[1]  # the preview in English too
    assert "Common area" in other and "Party room" in other and "Área común" not in other

    english = make_user(Role.CLIENT, "resident@example.org", "Rita Resident", language="en")
    english_admin = make_user(Role.ADMIN, "boss@example.org", "Bob Boss", language="en")
    client = app.test_client()
    login(client, english.email)
    form = client.get("/mesa-de-ayuda/nueva/reserva").get_data(as_text=True)
    assert "Common area" in form and "Party room" in form and "Where you book" in form
    assert "Área común" not in form
    assert "Comentarios" in form and "Lo que quieras añadir" in form  # no English: Spanish
    assert "Morning" in form and "Tarde" in form
    filed = file_ticket(
        client,
        {"cf-area_comun": "alberca", "cf-turno": "tarde", "cf-comentarios": "Sábado"},
        key="reserva",
    )
    assert filed.status_code == 302, filed.get_data(as_text=True)[-2000:]
    ticket = db.session.scalar(select(Ticket).where(Ticket.ticket_type_id == ticket_type.id))
    assert ticket.data == {"area_comun": "alberca", "turno": "tarde", "comentarios": "Sábado"}
    mine = client.get(f"/mesa-de-ayuda/tickets/{ticket.number}").get_data(as_text=True)
    assert "Common area" in mine and "Pool" in mine

    desk = app.test_client()
    login(desk, collaborator.email)
    seen = desk.get(f"/tablero/tickets/{ticket.number}").get_data(as_text=True)
    assert "Área común" in seen and "Alberca" in seen and "Pool" not in seen

    # The API in the caller's language.
    token = issue_token(app, english_admin.email)
    body = Api(app, token).get(f"/tickets/{ticket.number}").json
    labels = {f["label"]: f["display"] for f in body["fields"]}
    assert labels["Common area"] == "Pool" and labels["Shift"] == "Tarde"


def test_new_ticket_mail_uses_each_recipients_language(app, admin_client, client_user, mailbox):
    make_user(Role.ADMIN, "boss@example.org", "Bob Boss", language="en")
    ticket_type = new_type(admin_client, key="reserva", name="Reserva")
    publish_fields(admin_client, ticket_type, BILINGUAL)
    other = app.test_client()
    login(other, client_user.email)
    filed = file_ticket(other, {"cf-area_comun": "salon"}, key="reserva")
    assert filed.status_code == 302
    english = Mailbox.text_of(mailbox.to("boss@example.org")[-1])
    spanish = Mailbox.text_of(mailbox.to("admin@example.org")[-1])
    assert "Common area" in english and "Party room" in english
    assert "Área común" in spanish and "Salón de fiestas" in spanish


# ---------------------------------------------------------------- drafts


def test_a_new_type_is_a_draft_until_its_first_publication(
    app, admin_client, client_user, collaborator
):
    ticket_type = new_type(admin_client)
    assert ticket_type.current_version == 0
    listing = admin_client.get("/administracion/tipos").get_data(as_text=True)
    assert 'data-testid="draft">Borrador' in listing
    resident = app.test_client()
    login(resident, client_user.email)
    desk = app.test_client()
    login(desk, collaborator.email)
    api = Api(app, issue_token(app, client_user.email))

    def offered() -> dict[str, bool]:
        return {
            "portal": "Mudanza" in resident.get("/mesa-de-ayuda/nueva").get_data(as_text=True),
            "portal form": resident.get("/mesa-de-ayuda/nueva/mudanza").status_code == 200,
            "on behalf": "Mudanza" in desk.get("/tablero/nueva").get_data(as_text=True),
            "on behalf form": desk.get("/tablero/nueva/mudanza").status_code == 200,
            "api list": "mudanza" in {t["key"] for t in api.get("/ticket-types").json["items"]},
            "api type": api.get("/ticket-types/mudanza").status_code == 200,
        }

    assert offered() == dict.fromkeys(offered(), False)
    refused = api.post(
        "/tickets", json={"type": "mudanza", "subject": "Hola", "description": "x", "data": {}}
    )
    assert refused.status_code in (404, 422) and db.session.scalar(select(Ticket.id)) is None

    publish_fields(admin_client, ticket_type, FIELDS)
    assert offered() == dict.fromkeys(offered(), True)
    listing = admin_client.get("/administracion/tipos").get_data(as_text=True)
    assert 'data-testid="draft"' not in listing and "<td>v1</td>" in listing


def test_the_builder_warns_before_leaving_unpublished_changes(admin_client):
    ticket_type = new_type(admin_client)
    draft = admin_client.get(f"/administracion/tipos/{ticket_type.id}/formulario")
    assert 'data-unpublished="1"' in draft.get_data(as_text=True)  # nothing published yet
    assert 'data-testid="other-preview"' not in draft.get_data(as_text=True)  # no English
    assert "builder.js" in draft.get_data(as_text=True)
    publish_fields(admin_client, ticket_type, FIELDS)
    same = admin_client.get(f"/administracion/tipos/{ticket_type.id}/formulario")
    assert 'data-unpublished="0"' in same.get_data(as_text=True)
    changed = builder(admin_client, ticket_type, [FIELDS[0]])
    assert 'data-unpublished="1"' in changed.get_data(as_text=True)


def test_a_draft_exports_and_imports_as_a_draft(admin_client):
    ticket_type = new_type(admin_client)
    exported = admin_client.get(f"/administracion/tipos/{ticket_type.id}/exportar").json
    assert exported["version"] == 0 and exported["schema"] == {}
    db.session.delete(db.session.get(TicketType, ticket_type.id))
    db.session.commit()
    imported = post(admin_client, "/administracion/tipos/importar", {"text": json.dumps(exported)})
    assert imported.status_code == 302, imported.get_data(as_text=True)[-2000:]
    again = db.session.scalar(select(TicketType).where(TicketType.key == "mudanza"))
    assert again.current_version == 0 and again.description == "Avisos de mudanza"
