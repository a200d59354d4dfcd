"""Dates typed as the page's language writes them; date-times stored with the typist's offset."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import Integer, column, event, select, table, update

from servicedesk.catalog.builder import FieldSpec, to_schema
from servicedesk.extensions import db
from servicedesk.models import Area, Role, Setting, Ticket, TicketType, TicketTypeVersion
from tests.api.conftest import issue_token
from tests.conftest import csrf_token, login, make_user
from tests.factories import make_ticket

# 19 December 2026, 15:00 UTC: the same day in every zone the tests use.
FILED = datetime(2026, 12, 19, 15, 0, tzinfo=UTC)


@pytest.fixture
def reserva(app) -> TicketTypeVersion:
    """A booking type with a date and a date-time field."""
    area = Area(name="Administración")
    fields = [
        FieldSpec("dia", "Día", "date", True),
        FieldSpec("cuando", "Cuándo", "datetime"),
    ]
    schema, ui = to_schema(fields, "Reserva")
    ticket_type = TicketType(key="reserva", name="Reserva", default_area=area, current_version=1)
    version = TicketTypeVersion(ticket_type=ticket_type, number=1, schema=schema, ui=ui)
    db.session.add_all([area, ticket_type, version])
    db.session.commit()
    return version


def signed_in(app, user):
    """A test client signed in as the user."""
    web = app.test_client()
    login(web, user.email)
    return web


def value_of(html: str, input_id: str) -> str:
    """The value attribute of one input."""
    tag = re.search(rf'<input[^>]*id="{re.escape(input_id)}"[^>]*>', html)
    assert tag, f"no input {input_id}"
    found = re.search(r'value="([^"]*)"', tag.group(0))
    return found.group(1) if found else ""


def file_reserva(app, user, **answers):
    """Post the client's new-ticket form of the booking type."""
    web = signed_in(app, user)
    page = "/mesa-de-ayuda/nueva/reserva"
    token = csrf_token(web.get(page).get_data(as_text=True))
    return web.post(page, data={"csrf_token": token, "subject": "Salón de fiestas", **answers})


# ---------------------------------------------------------------- the Tablero's filters


@pytest.mark.parametrize(
    ("language", "typed", "shown"),
    [
        ("es", "19/12/2026", "19/12/2026"),
        ("es", "2026-12-19", "19/12/2026"),  # old links and the API: ISO
        ("en", "12/19/2026", "12/19/2026"),
        ("en", "2026-12-19", "12/19/2026"),
    ],
)
def test_the_tablero_reads_the_page_languages_dates_and_iso(
    app, collaborator, client_user, soporte, language, typed, shown
):
    collaborator.language = language
    inside = make_ticket(client_user, soporte, "El día 19", created_at=FILED)
    make_ticket(
        client_user, soporte, "El día 18", created_at=datetime(2026, 12, 18, 15, tzinfo=UTC)
    )
    web = signed_in(app, collaborator)
    page = web.get(f"/tablero/?view=historial&created_from={typed}&created_to={typed}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.findall(r'data-ticket-row="(\d+)"', html) == [str(inside.number)]
    assert value_of(html, "f-created_from") == shown
    tag = re.search(r'<input[^>]*id="f-created_from"[^>]*>', html).group(0)
    assert 'type="text"' in tag and 'inputmode="numeric"' in tag
    assert 'aria-describedby="f-created_from-format"' in tag
    pattern = "dd/mm/aaaa" if language == "es" else "mm/dd/yyyy"
    assert f'placeholder="{pattern}"' in tag
    assert 'id="f-created_from-format"><span class="visually-hidden">' in html
    # The links the page hands on (exports, reports) carry ISO, read the same in any language.
    assert "created_from=2026-12-19" in html


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "Creado desde: escribe la fecha como dd/mm/aaaa, por ejemplo 19/12/2026."),
        ("en", "Created from: write the date as mm/dd/yyyy, for example 12/19/2026."),
    ],
)
def test_a_date_filter_it_cannot_read_is_explained_and_kept_as_typed(
    app, collaborator, client_user, soporte, language, message
):
    collaborator.language = language
    make_ticket(client_user, soporte, created_at=FILED)
    web = signed_in(app, collaborator)
    page = web.get("/tablero/?view=historial&created_from=31/31/2026&updated_to=2026-12-19")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert message in html
    assert value_of(html, "f-created_from") == "31/31/2026"
    tag = re.search(r'<input[^>]*id="f-created_from"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in tag and "f-created_from-error" in tag
    # the other filter still applies, and shows in the page's pattern
    assert value_of(html, "f-updated_to") == ("19/12/2026" if language == "es" else "12/19/2026")


def test_the_report_period_reads_the_page_languages_dates(app, admin, client_user, soporte):
    make_ticket(client_user, soporte, created_at=FILED)
    web = signed_in(app, admin)
    page = web.get("/informes/?created_from=19/12/2026&created_to=19/12/2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert value_of(html, "r-from") == "19/12/2026"
    assert "19 de diciembre de 2026" in html  # the period, read
    assert "/informes/excel?created_from=2026-12-19" in html.replace("&amp;", "&")
    bad = web.get("/informes/?created_from=hoy")
    assert bad.status_code == 400
    assert value_of(bad.get_data(as_text=True), "r-from") == "hoy"
    assert "escribe la fecha como dd/mm/aaaa" in bad.get_data(as_text=True)


def test_a_custom_date_range_on_the_tablero_reads_the_page_language(
    app, admin, client_user, reserva
):
    inside = make_ticket(client_user, reserva, "Del 19", data={"dia": "2026-12-19"})
    make_ticket(client_user, reserva, "Del 18", data={"dia": "2026-12-18"})
    web = signed_in(app, admin)
    page = web.get("/tablero/?view=historial&type=reserva&cf.dia.min=19/12/2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.findall(r'data-ticket-row="(\d+)"', html) == [str(inside.number)]
    assert value_of(html, "cf-dia-min") == "19/12/2026"
    # the export link carries ISO, which the export (ISO only) reads
    assert "cf.dia.min=2026-12-19" in html
    excel = web.get("/informes/excel?type=reserva&cf.dia.min=2026-12-19")
    excel.close()
    assert excel.status_code == 200


# ---------------------------------------------------------------- custom date fields


@pytest.mark.parametrize(
    ("language", "typed"), [("es", "19/12/2026"), ("en", "12/19/2026"), ("es", "2026-12-19")]
)
def test_a_custom_date_is_typed_in_the_page_language_and_stored_iso(
    app, client_user, reserva, language, typed
):
    client_user.language = language
    db.session.commit()
    form = signed_in(app, client_user).get("/mesa-de-ayuda/nueva/reserva").get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="cf-dia"[^>]*>', form).group(0)
    assert 'type="text"' in tag and 'inputmode="numeric"' in tag
    assert "cf-dia-format" in tag
    response = file_reserva(app, client_user, **{"cf-dia": typed})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.scalars(select(Ticket)).one().data["dia"] == "2026-12-19"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "Escribe la fecha como dd/mm/aaaa, por ejemplo 19/12/2026."),
        ("en", "Write the date as mm/dd/yyyy, for example 12/19/2026."),
    ],
)
def test_a_bad_custom_date_is_explained_and_kept_as_typed(
    app, client_user, reserva, language, message
):
    client_user.language = language
    db.session.commit()
    response = file_reserva(app, client_user, **{"cf-dia": "31/02/2026"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert value_of(html, "cf-dia") == "31/02/2026"
    assert db.session.scalars(select(Ticket)).first() is None


def test_the_desk_edits_a_custom_date_in_its_language(app, collaborator, client_user, reserva):
    ticket = make_ticket(client_user, reserva, data={"dia": "2026-12-19"})
    web = signed_in(app, collaborator)
    page = f"/tablero/tickets/{ticket.number}/campos"
    html = web.get(page).get_data(as_text=True)
    assert value_of(html, "cf-dia") == "19/12/2026"
    assert "19/12/2026" in web.get(f"/tablero/tickets/{ticket.number}").get_data(as_text=True)
    saved = web.post(
        page,
        data={"csrf_token": csrf_token(html), "version": str(ticket.version), "cf-dia": "2/1/2027"},
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).data["dia"] == "2027-01-02"


# ---------------------------------------------------------------- date-times and zones


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2026-03-01T10:00", "2026-03-01T10:00:00-03:00"),  # Chilean summer time
        ("2026-07-01T10:00", "2026-07-01T10:00:00-04:00"),  # Chilean winter time
    ],
)
def test_a_datetime_local_is_stored_with_the_submitters_offset(
    app, client_user, reserva, typed, stored
):
    client_user.timezone = "America/Santiago"
    db.session.commit()
    response = file_reserva(app, client_user, **{"cf-dia": "19/12/2026", "cf-cuando": typed})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.scalars(select(Ticket)).one().data["cuando"] == stored


def test_a_date_time_of_a_client_without_a_zone_takes_the_organisations_offset(
    app, client_user, reserva
):
    db.session.add(Setting(key="timezone", value="America/Santiago"))
    db.session.commit()
    response = file_reserva(
        app, client_user, **{"cf-dia": "19/12/2026", "cf-cuando": "2026-03-01T10:00"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.scalars(select(Ticket)).one().data["cuando"] == "2026-03-01T10:00:00-03:00"


def test_a_form_without_date_times_files_without_reading_the_zone(app, client_user, soporte):
    """The organisation's zone is a query: a filing only makes it when a date-time needs it."""
    web = signed_in(app, client_user)
    page = "/mesa-de-ayuda/nueva/soporte"
    token = csrf_token(web.get(page).get_data(as_text=True))
    read: list[str] = []

    def watch(_conn, _cursor, statement, *_args) -> None:
        read.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        form = {"subject": "Fuga", "cf-ubicacion": "Depto 1", "cf-categoria": "agua"}
        answer = web.post(page, data={"csrf_token": token, **form})
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert read and not [s for s in read if "FROM settings" in s]


def test_a_stored_date_time_reads_in_each_readers_zone(app, client_user, reserva):
    area = db.session.scalar(select(Area))
    madrid = make_user(Role.COLLABORATOR, "madrid@example.org", "Mario", areas=[area])
    madrid.timezone = "Europe/Madrid"
    ticket = make_ticket(
        client_user, reserva, data={"dia": "2026-12-19", "cuando": "2026-03-01T10:00:00-03:00"}
    )
    web = signed_in(app, madrid)
    assert "01/03/2026 14:00" in web.get(f"/tablero/tickets/{ticket.number}").get_data(as_text=True)
    form = web.get(f"/tablero/tickets/{ticket.number}/campos").get_data(as_text=True)
    assert value_of(form, "cf-cuando") == "2026-03-01T14:00"
    assert 'type="datetime-local"' in re.search(r'<input[^>]*id="cf-cuando"[^>]*>', form).group(0)
    # The client, in the organisation's zone (UTC here), reads 13:00.
    own = signed_in(app, client_user).get(f"/mesa-de-ayuda/tickets/{ticket.number}")
    assert "01/03/2026 13:00" in own.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("es", "Indica la fecha y la hora con su desfase horario"),
        ("en", "Give the date and time with its UTC offset"),
    ],
)
def test_the_api_refuses_a_date_time_without_offset(app, client_user, reserva, language, detail):
    client_user.language = language
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {issue_token(app, client_user.email)}"}
    body = {"type": "reserva", "subject": "Salón", "data": {"dia": "2026-12-19"}}
    refused = api.post(
        "/api/v1/tickets",
        json={**body, "data": {"dia": "2026-12-19", "cuando": "2026-03-01T10:00"}},
        headers=headers,
    )
    assert refused.status_code == 422
    errors = {e["pointer"]: e["detail"] for e in refused.json["errors"]}
    assert detail in errors["/data/cuando"]
    assert db.session.scalars(select(Ticket)).first() is None
    taken = api.post(
        "/api/v1/tickets",
        json={**body, "data": {"dia": "2026-12-19", "cuando": "2026-03-01T10:00:00-03:00"}},
        headers=headers,
    )
    assert taken.status_code == 201, taken.json
    assert db.session.scalars(select(Ticket)).one().data["cuando"] == "2026-03-01T10:00:00-03:00"


# ---------------------------------------------------------------- the migration


def test_the_migration_gives_stored_date_times_the_organisations_offset(app, client_user, reserva):
    directory = app.extensions["migrate"].directory
    # The tickets are made with today's model, then given their old values under 0016 with
    # a statement that names only the columns 0016 has.
    stored = {
        "old": {"dia": "2026-12-19", "cuando": "2026-03-01T10:00", "nota": "2026-03-01T10:00"},
        "winter": {"cuando": "2026-07-01T10:00:30"},
        "kept": {"cuando": "2026-03-01T10:00:00+01:00"},
        "odd": {"cuando": "mañana"},
    }
    made = {name: make_ticket(client_user, reserva, data={}) for name in stored}
    db.session.add(Setting(key="timezone", value="America/Santiago"))
    db.session.commit()
    ids = {name: ticket.id for name, ticket in made.items()}
    db.session.close()  # the migration's ALTER TABLE waits for no read of ours
    downgrade(directory=directory, revision="0016")
    try:
        rows = table("tickets", column("id", Integer), column("data", Ticket.data.type))
        for name, data in stored.items():
            db.session.execute(update(rows).where(rows.c.id == ids[name]).values(data=data))
        db.session.commit()
    finally:
        upgrade(directory=directory)
    db.session.expire_all()
    data = {t.id: t.data for t in db.session.scalars(select(Ticket))}
    assert data[ids["old"]] == {
        "dia": "2026-12-19",  # a date has no zone
        "cuando": "2026-03-01T10:00:00-03:00",
        "nota": "2026-03-01T10:00",  # not a date-time field of this form
    }
    assert data[ids["winter"]] == {"cuando": "2026-07-01T10:00:30-04:00"}
    assert data[ids["kept"]] == {"cuando": "2026-03-01T10:00:00+01:00"}
    assert data[ids["odd"]] == {"cuando": "mañana"}
