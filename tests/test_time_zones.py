"""Local time: stored in UTC, shown, filtered, exported and printed in the reader's zone."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pypdf
import pytest
from sqlalchemy import select

from servicedesk import create_app
from servicedesk.config import ConfigError
from servicedesk.extensions import db
from servicedesk.models import (
    ApiToken,
    Area,
    Comment,
    OutboxMessage,
    Role,
    Setting,
    Ticket,
    TicketEvent,
    User,
)
from tests.conftest import csrf_token, login, make_user
from tests.factories import make_ticket
from tests.tickets.conftest import file_ticket

# 03:00 UTC on 1 December is 21:00 on 30 November in Mexico City, 04:00 on 1 December in Madrid.
FILED = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
PREFERENCES = "/cuenta/notificaciones"
SETTINGS = "/administracion/ajustes"


def signed_in(app, user: User):
    """A test client signed in as a user."""
    c = app.test_client()
    login(c, user.email)
    return c


def post(c, page: str, action: str, data: dict[str, str]):
    """Post a form with the CSRF token of the page that shows it."""
    token = csrf_token(c.get(page).get_data(as_text=True))
    return c.post(action, data={**data, "csrf_token": token})


def colleague(email: str, zone: str | None, language: str = "es") -> User:
    """A collaborator of the Mantenimiento area (soporte's) in a zone (None: the desk's)."""
    area = db.session.scalar(select(Area).where(Area.name == "Mantenimiento"))
    user = make_user(Role.COLLABORATOR, email, language=language, areas=[area])
    user.timezone = zone
    db.session.commit()
    return user


@pytest.fixture
def filed(app, soporte, client_user):
    """A ticket filed at 03:00 UTC on 1 December 2026, with its timeline event."""
    ticket = make_ticket(
        client_user,
        soporte,
        "Fuga nocturna",
        created_at=FILED,
        updated_at=FILED,
        data={"ubicacion": "Torre B", "categoria": "agua", "desde": "2026-12-19"},
    )
    db.session.add(
        TicketEvent(ticket_id=ticket.id, actor_id=client_user.id, kind="created", created_at=FILED)
    )
    db.session.commit()
    return ticket


def timeline(c, number: int) -> str:
    """The ticket page's timeline text."""
    page = c.get(f"/tablero/tickets/{number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return re.search(r'data-testid="timeline">(.*?)</ol>', html, re.S).group(1)


# ---------------------------------------------------------------- the personal zone


@pytest.mark.parametrize(
    ("language", "refused", "saved"),
    [
        ("es", "«Mars/Olympus» no es una zona horaria", "Se guardó tu zona horaria."),
        ("en", "“Mars/Olympus” is not a time zone", "Your time zone was saved."),
    ],
)
def test_preferences_save_a_zone_and_refuse_a_bogus_one(app, language, refused, saved):
    user = make_user(Role.CLIENT, f"zona-{language}@example.org", language=language)
    c = signed_in(app, user)
    page = c.get(PREFERENCES).get_data(as_text=True)
    assert '<option value="America/Mexico_City">' in page and 'name="timezone"' in page

    answer = post(c, PREFERENCES, "/cuenta/zona-horaria", {"timezone": "Mars/Olympus"})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert refused in html
    assert '<option value="Mars/Olympus" selected>' in html  # what was sent stays shown
    assert 'aria-invalid="true"' in html
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone is None

    answer = post(c, PREFERENCES, "/cuenta/zona-horaria", {"timezone": "America/Mexico_City"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone == "America/Mexico_City"
    page = c.get(PREFERENCES).get_data(as_text=True)
    assert saved in page
    assert '<option value="America/Mexico_City" selected>' in page

    post(c, PREFERENCES, "/cuenta/zona-horaria", {"timezone": ""})  # back to the desk's
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone is None


def test_the_zone_form_takes_no_injection(app, client_user):
    c = signed_in(app, client_user)
    hostile = '"><script>alert(1)</script>' + "x" * 300
    answer = post(c, PREFERENCES, "/cuenta/zona-horaria", {"timezone": hostile})
    assert answer.status_code == 400
    assert "<script>alert(1)" not in answer.get_data(as_text=True)


# ---------------------------------------------------------------- the organisation's zone


@pytest.mark.parametrize(
    ("language", "refused"),
    [("es", "«Luna/Tranquilidad» no es una zona horaria"), ("en", "is not a time zone")],
)
def test_administration_sets_the_organisation_zone(app, language, refused):
    admin = make_user(Role.ADMIN, f"jefa-{language}@example.org", language=language)
    c = signed_in(app, admin)
    assert 'href="/administracion/ajustes"' in c.get("/administracion/").get_data(as_text=True)
    assert '<option value="UTC" selected>' in c.get(SETTINGS).get_data(as_text=True)

    answer = post(c, SETTINGS, SETTINGS, {"timezone": "Luna/Tranquilidad"})
    assert answer.status_code == 400 and refused in answer.get_data(as_text=True)
    assert db.session.get(Setting, "timezone") is None
    assert post(c, SETTINGS, SETTINGS, {"timezone": ""}).status_code == 400

    assert post(c, SETTINGS, SETTINGS, {"timezone": "Europe/Madrid"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Setting, "timezone").value == "Europe/Madrid"
    assert '<option value="Europe/Madrid" selected>' in c.get(SETTINGS).get_data(as_text=True)


def test_only_administrators_change_the_organisation_zone(app, collaborator):
    c = signed_in(app, collaborator)
    assert c.get(SETTINGS).status_code == 403
    token = csrf_token(c.get(PREFERENCES).get_data(as_text=True))
    answer = c.post(SETTINGS, data={"timezone": "Europe/Madrid", "csrf_token": token})
    assert answer.status_code == 403
    assert db.session.get(Setting, "timezone") is None


def test_a_user_without_a_zone_reads_the_organisation_zone(app, admin, filed):
    plain = colleague("sin-zona@example.org", None)
    c = signed_in(app, plain)
    assert "1/12/26, 3:00" in timeline(c, filed.number)  # the desk's default: UTC

    post(signed_in(app, admin), SETTINGS, SETTINGS, {"timezone": "America/Mexico_City"})
    assert "30/11/26, 21:00" in timeline(c, filed.number)
    # The preferences page says which zone "the organisation's" is.
    assert "La de la organización (America/Mexico_City)" in c.get(PREFERENCES).get_data(
        as_text=True
    )
    # A personal zone wins over the organisation's.
    post(c, PREFERENCES, "/cuenta/zona-horaria", {"timezone": "Europe/Madrid"})
    assert "1/12/26, 4:00" in timeline(c, filed.number)


def test_the_timezone_setting_is_the_default_and_is_checked(tmp_path):
    base = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40}
    with pytest.raises(ConfigError, match="TIMEZONE"):
        from servicedesk import config

        config.load({"TIMEZONE": "Mars/Olympus"}, tmp_path)
    loaded = config.load({"TIMEZONE": "America/Bogota"}, tmp_path)
    assert loaded["BABEL_DEFAULT_TIMEZONE"] == "America/Bogota"
    assert create_app(base).config["BABEL_DEFAULT_TIMEZONE"] == "UTC"


# ---------------------------------------------------------------- date filters are local days


def dashboard_numbers(c, query: str) -> list[int]:
    """The ticket numbers a Tablero query lists."""
    html = c.get(f"/tablero/?view=historial&{query}").get_data(as_text=True)
    return [int(n) for n in re.findall(r'data-ticket-row="(\d+)"', html)]


def test_created_from_is_a_day_of_the_reader(app, filed):
    mexico = colleague("cdmx@example.org", "America/Mexico_City")
    madrid = colleague("madrid@example.org", "Europe/Madrid")
    utc = colleague("utc@example.org", None)
    as_mexico, as_madrid, as_utc = (signed_in(app, u) for u in (mexico, madrid, utc))

    # Filed on the evening of 30 November in Mexico City.
    assert dashboard_numbers(as_mexico, "created_from=2026-12-01") == []
    assert dashboard_numbers(as_mexico, "created_to=2026-11-30") == [filed.number]
    assert dashboard_numbers(as_mexico, "updated_from=2026-11-30&updated_to=2026-11-30") == [
        filed.number
    ]
    # On 1 December in Madrid and in UTC.
    for c in (as_madrid, as_utc):
        assert dashboard_numbers(c, "created_from=2026-12-01") == [filed.number]
        assert dashboard_numbers(c, "created_to=2026-11-30") == []

    # The API counts the same days (the same function).
    for user, expected in ((mexico, 0), (madrid, 1)):
        _token, secret = ApiToken.issue(user, "zona")
        db.session.commit()
        answer = app.test_client().get(
            "/api/v1/tickets?view=historial&created_from=2026-12-01",
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert len(answer.get_json()["items"]) == expected


def test_report_periods_are_local_days(app, filed):
    mexico = colleague("jefa-cdmx@example.org", "America/Mexico_City")
    mexico.role = Role.ADMIN
    db.session.commit()
    c = signed_in(app, mexico)
    page = c.get("/informes/?created_from=2026-12-01").get_data(as_text=True)
    assert "Fuga nocturna" not in page and "30/11" not in page
    page = c.get("/informes/?created_from=2026-11-30&created_to=2026-11-30").get_data(as_text=True)
    # The report's rows (per day over so short a period): 30 November (local), not 1 December.
    assert "30 nov 2026" in page and "1 dic 2026" not in page


# ---------------------------------------------------------------- exports


@pytest.mark.parametrize(
    ("language", "created", "note"),
    [
        ("es", "Creado (America/Mexico_City)", "Fechas en hora de America/Mexico_City."),
        ("en", "Created (America/Mexico_City)", "Dates and times in America/Mexico_City time."),
    ],
)
def test_excel_names_the_zone_and_writes_local_times(app, filed, language, created, note):
    boss = make_user(Role.ADMIN, f"jefe-{language}@example.org", language=language)
    boss.timezone = "Europe/Madrid"  # the reader's own zone: the file keeps the desk's
    db.session.add(Setting(key="timezone", value="America/Mexico_City"))
    db.session.commit()
    answer = signed_in(app, boss).get("/informes/excel?type=soporte")
    assert answer.status_code == 200
    content = answer.data
    answer.close()
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row[created] == datetime(2026, 11, 30, 21, 0)
    summary = [r[0] for r in book.worksheets[1].iter_rows(values_only=True)]
    assert note in summary
    # A custom date column is a date cell that reads as the language writes dates.
    desde = book.worksheets[0].cell(row=2, column=rows[0].index("Desde") + 1)
    assert desde.value == datetime(2026, 12, 19)
    assert desde.number_format == ("dd/mm/yyyy" if language == "es" else "yyyy-mm-dd")


def test_the_ticket_pdf_is_in_the_organisation_zone_and_says_so(app, filed):
    reader = colleague("pdf@example.org", "Europe/Madrid")
    db.session.add(Setting(key="timezone", value="America/Mexico_City"))
    db.session.commit()
    answer = signed_in(app, reader).get(f"/tablero/tickets/{filed.number}/pdf")
    assert answer.status_code == 200
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(answer.data)).pages)
    text = " ".join(text.split())
    assert "Fechas en hora de America/Mexico_City." in text
    assert "30/11/26, 21:00" in text and "19/12/2026" in text


# ---------------------------------------------------------------- custom dates


@pytest.mark.parametrize(("language", "shown"), [("es", "19/12/2026"), ("en", "Dec 19, 2026")])
def test_a_custom_date_reads_as_the_language_writes_it(app, filed, language, shown):
    reader = colleague(f"fechas-{language}@example.org", None, language=language)
    html = signed_in(app, reader).get(f"/tablero/tickets/{filed.number}").get_data(as_text=True)
    assert shown in html
    assert "2026-12-19" not in html
    assert f'<html lang="{language}">' in html
    # The client's own page too.
    client = db.session.get(User, filed.requester_id)
    client.language = language
    db.session.commit()
    page = signed_in(app, client).get(f"/mesa-de-ayuda/tickets/{filed.number}")
    assert shown in page.get_data(as_text=True)


def test_new_ticket_mail_shows_the_custom_date_in_the_recipient_language(
    app, soporte, client_user, mailbox
):
    colleague("correo-es@example.org", "America/Mexico_City")
    colleague("correo-en@example.org", "Europe/Madrid", language="en")
    c = signed_in(app, client_user)
    page = c.get("/mesa-de-ayuda/nueva/soporte").get_data(as_text=True)
    answer = c.post(
        "/mesa-de-ayuda/nueva/soporte",
        data={
            "csrf_token": csrf_token(page),
            "subject": "Gotera",
            "description": "En el techo",
            "cf-ubicacion": "Torre B",
            "cf-categoria": "agua",
            "cf-desde": "2026-12-19",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[-800:]
    spanish = mailbox.text_of(mailbox.to("correo-es@example.org")[0])
    english = mailbox.text_of(mailbox.to("correo-en@example.org")[0])
    assert "19/12/2026" in spanish and "Dec 19, 2026" in english


# ---------------------------------------------------------------- mail


def mailed(moment: datetime, zone: str, language: str) -> str:
    """A time as a mail says it: the reader's wall time, in full, and the zone's name."""
    wall = moment.astimezone(ZoneInfo(zone))
    if language == "es":
        return f"{wall:%d/%m/%Y %H:%M} ({zone})"
    return f"{wall:%b} {wall.day}, {wall.year}, {wall.hour % 12 or 12}:{wall:%M} {wall:%p} ({zone})"


def bodies_to(address: str, kind: str) -> list[tuple[str, str]]:
    """The text and HTML of the outbox messages of one kind to one address."""
    rows = db.session.execute(
        select(OutboxMessage.body_text, OutboxMessage.body_html).where(
            OutboxMessage.recipient == address, OutboxMessage.kind == kind
        )
    ).all()
    return [(row.body_text, row.body_html) for row in rows]


def test_mail_says_the_filing_time_in_each_readers_zone_and_language(app, soporte, client_user):
    db.session.add(Setting(key="timezone", value="America/Bogota"))
    db.session.commit()
    readers = [
        # Two in one group (language and zone): one render, each with their own name.
        colleague("maria@example.org", "America/Mexico_City", "es"),
        colleague("mario@example.org", "America/Mexico_City", "es"),
        colleague("pilar@example.org", "Europe/Madrid", "es"),
        colleague("mary@example.org", "America/Mexico_City", "en"),
        colleague("peter@example.org", "Europe/Madrid", "en"),
        colleague("desk@example.org", None, "es"),  # the organisation's zone
    ]
    answer = file_ticket(signed_in(app, client_user), {"subject": "Fuga"})
    assert answer.status_code == 302
    db.session.rollback()
    ticket = db.session.scalars(select(Ticket)).one()
    said = {"es": "Registrado el", "en": "Filed on"}
    for reader in readers:
        zone = reader.timezone or "America/Bogota"
        [(text, html)] = bodies_to(reader.email, "new_ticket")
        when = mailed(ticket.created_at, zone, reader.language)
        assert f"{said[reader.language]} {when}." in text, (reader.email, text)
        assert f"{said[reader.language]} {when}." in html
        assert reader.name in text
    # The same instant, read seven (or six) hours apart.
    assert mailed(ticket.created_at, "America/Mexico_City", "es") != mailed(
        ticket.created_at, "Europe/Madrid", "es"
    )


@pytest.mark.parametrize(
    ("language", "wrote", "closed"),
    [
        ("es", "escribió el", "Cerrado el"),
        ("en", "wrote on", "Closed on"),
    ],
)
def test_the_client_reads_the_reply_and_closure_times_in_their_zone(
    app, filed, client_user, collaborator, language, wrote, closed
):
    client_user.timezone, client_user.language = "Europe/Madrid", language
    db.session.commit()
    desk = signed_in(app, collaborator)
    page = f"/tablero/tickets/{filed.number}"
    assert post(desk, page, f"{page}/responder", {"body": "Vamos mañana"}).status_code == 302
    version = db.session.scalar(select(Ticket.version).where(Ticket.id == filed.id))
    closing = {"resolution": "Listo", "version": str(version)}
    assert post(desk, page, f"{page}/cerrar", closing).status_code == 302
    db.session.rollback()
    ticket = db.session.get(Ticket, filed.id)
    comment = db.session.scalars(select(Comment).where(Comment.ticket_id == ticket.id)).first()
    [(reply_text, reply_html)] = bodies_to(client_user.email, "reply")
    when = mailed(comment.created_at, "Europe/Madrid", language)
    assert f"{wrote} {when}:" in reply_text and f"{wrote} {when}:" in reply_html
    [(closed_text, closed_html)] = bodies_to(client_user.email, "closed")
    when = mailed(ticket.closed_at, "Europe/Madrid", language)
    assert f"{closed} {when}." in closed_text and f"{closed} {when}." in closed_html
