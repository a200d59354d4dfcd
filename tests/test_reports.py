"""Reports and exports: figures, typed Excel columns, escaped formulas, PDFs, background jobs."""

from __future__ import annotations

import html
import io
import re
import socket
import threading
import time
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pypdf
import pytest
from sqlalchemy import select

from servicedesk.catalog.builder import FieldSpec, to_schema
from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    Export,
    Feedback,
    Role,
    SlaPolicy,
    SlaPolicyVersion,
    Status,
    TicketType,
    TicketTypeVersion,
    utcnow,
)
from servicedesk.reports import service
from tests.conftest import csrf_token, login, make_user
from tests.factories import make_ticket


@pytest.fixture
def obras(app) -> TicketTypeVersion:
    """A type whose fields cover every export column kind."""
    fields = [
        FieldSpec("fecha", "Fecha", "date"),
        FieldSpec("monto", "Monto", "number"),
        FieldSpec(
            "tipo",
            "Tipo de obra",
            "select",
            options=[("pint", "Pintura"), ("elec", "Electricidad")],
        ),
        FieldSpec("zonas", "Zonas", "checkboxes", options=[("a", "Lobby"), ("b", "Jardín")]),
        FieldSpec("nota", "Nota", "text"),
    ]
    with app.test_request_context():
        schema, ui = to_schema(fields, "Obras")
    ticket_type = TicketType(key="obras", name="Obras", current_version=1)
    version = TicketTypeVersion(ticket_type=ticket_type, number=1, schema=schema, ui=ui)
    db.session.add_all([ticket_type, version])
    db.session.commit()
    return version


@pytest.fixture
def history(app, obras, client_user, collaborator):
    """Three tickets: one closed and rated, one with a formula-like subject, one open."""
    now = utcnow()
    closed = make_ticket(
        client_user,
        obras,
        "Pintar el lobby",
        status=Status.CLOSED,
        assignee_id=collaborator.id,
        created_at=now - timedelta(hours=50),
        first_response_at=now - timedelta(hours=48),
        resolved_at=now - timedelta(hours=10),
        closed_at=now - timedelta(hours=9),
        closure_count=1,
        data={
            "fecha": "2026-03-01",
            "monto": 1500.5,
            "tipo": "pint",
            "zonas": ["a", "b"],
            "nota": "@SUM(A1)",
        },
    )
    db.session.add(
        Feedback(
            ticket_id=closed.id,
            closure=1,
            rating=4,
            comment="=HYPERLINK(x)",
            author_id=client_user.id,
        )
    )
    formula = make_ticket(
        client_user,
        obras,
        "=1+1",
        data={"nota": "+cmd|' /C calc'!A0"},
        created_at=now - timedelta(hours=5),
    )
    open_one = make_ticket(
        client_user, obras, "-abierto", status=Status.OPEN, created_at=now - timedelta(hours=2)
    )
    db.session.commit()
    return closed, formula, open_one


def admin_client(app, admin):
    """A test client signed in as the administrator."""
    c = app.test_client()
    login(c, admin.email)
    return c


def workbook(response) -> openpyxl.Workbook:
    """Open the downloaded workbook."""
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    content = response.data
    response.close()
    return openpyxl.load_workbook(io.BytesIO(content))


def test_excel_types_custom_columns_and_escaped_formulas(app, admin, history):
    book = workbook(admin_client(app, admin).get("/informes/excel?type=obras"))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    assert header[:4] == ["Número", "Tipo", "Versión del formulario", "Asunto"]
    assert header[-5:] == ["Fecha", "Monto", "Tipo de obra", "Zonas", "Nota"]
    by_number = {r[0].value: r for r in rows[1:]}
    closed, formula, _open = history
    row = {h: c for h, c in zip(header, by_number[closed.number], strict=True)}
    assert isinstance(row["Creado (UTC)"].value, datetime)
    assert row["Primera respuesta (horas)"].value == pytest.approx(2.0, abs=0.01)
    assert row["Resolución (horas)"].value == pytest.approx(40.0, abs=0.01)
    assert row["Calificación"].value == 4
    assert row["Fecha"].value == datetime(2026, 3, 1)  # a real date cell
    assert row["Monto"].value == 1500.5 and row["Tipo de obra"].value == "Pintura"
    assert row["Zonas"].value == "Lobby, Jardín" and row["Estado"].value == "Cerrado"
    for cell in (row["Comentario de la calificación"], row["Nota"]):
        assert cell.data_type == "s" and cell.value.startswith(("=", "@"))
    risky = {h: c for h, c in zip(header, by_number[formula.number], strict=True)}
    assert risky["Asunto"].data_type == "s" and risky["Asunto"].value == "=1+1"
    assert risky["Nota"].data_type == "s"
    summary = {r[0]: r[1] for r in book.worksheets[1].iter_rows(values_only=True) if r and r[0]}
    assert summary["Tickets"] == 3 and summary["Cerrado"] == 1
    assert summary["Calificación promedio"] == 4


def test_excel_respects_filters_and_visibility(app, admin, history, client_user):
    book = workbook(admin_client(app, admin).get("/informes/excel?status=closed"))
    assert [r[0] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [
        history[0].number
    ]
    client = app.test_client()
    login(client, client_user.email)
    for url in ("/informes/", "/informes/excel", "/informes/pdf"):
        assert client.get(url).status_code == 403


def test_collaborators_report_only_when_enabled_and_on_their_areas(
    app, history, obras, collaborator, client_user
):
    c = app.test_client()
    login(c, collaborator.email)
    assert c.get("/informes/").status_code == 403
    app.config["REPORTS_FOR_COLLABORATORS"] = True
    try:
        area = collaborator.areas[0]
        mine = make_ticket(client_user, obras, "En mi área", area_id=area.id)
        other = Area(name="Ajena")
        db.session.add(other)
        db.session.commit()
        make_ticket(client_user, obras, "En otra área", area_id=other.id)
        book = workbook(c.get("/informes/excel"))
        numbers = [r[0] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
        assert numbers == [mine.number]
    finally:
        app.config["REPORTS_FOR_COLLABORATORS"] = False


def test_report_page_figures(app, admin, history):
    page = admin_client(app, admin).get("/informes/").get_data(as_text=True)
    assert 'data-testid="by-collaborator"' in page and "<meter" in page
    assert "40,0" in page  # resolution median of the one resolved ticket, in Spanish


def test_report_figures_from_tickets_with_known_times(app, admin, obras, client_user, collaborator):
    """Medians, 90th percentiles, rates, counts, weeks and comments, worked out by hand."""
    from datetime import UTC

    from servicedesk.reports import service

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
    done = [(1, 10, 5, "Excelente"), (3, 20, 3, "Lento"), (5, 30, None, None)]
    for n, (first, resolution, rating, comment) in enumerate(done):
        created = start + timedelta(days=n * 7)
        ticket = make_ticket(
            client_user,
            obras,
            f"Resuelto {n}",
            status=Status.CLOSED,
            priority="high",
            assignee_id=collaborator.id,
            channel="phone",
            closure_count=1,
            created_at=created,
            first_response_at=created + timedelta(hours=first),
            resolved_at=created + timedelta(hours=resolution),
            closed_at=created + timedelta(hours=resolution + 1),
        )
        if rating:
            db.session.add(
                Feedback(
                    ticket_id=ticket.id,
                    closure=1,
                    rating=rating,
                    comment=comment,
                    author_id=client_user.id,
                )
            )
    make_ticket(client_user, obras, "Sin dueño", created_at=start + timedelta(days=1))
    db.session.commit()
    with app.test_request_context():
        _f, base, _t, _fields = service.selection(admin, "")
        report, _levels = service.build_report(base, "UTC")
    total, mine = report.total, report.by_collaborator[collaborator.name]
    assert (total.tickets, total.closed, mine.tickets) == (4, 3, 3)
    assert (mine.first_median, mine.first_p90) == (3, 5)
    assert (mine.resolution_median, mine.resolution_p90) == (20, 30)
    assert (mine.rating_average, mine.response_rate) == (4.0, 0.667)
    others = [t.tickets for name, t in report.by_collaborator.items() if name != collaborator.name]
    assert others == [1]  # the unassigned one, under "(none)" in the page's language
    assert report.counts["priority"] == {"high": 3, "normal": 1}
    assert report.counts["channel"]["phone"] == 3 and report.counts["status"]["closed"] == 3
    assert report.distribution == {5: 1, 3: 1}
    assert [c[2] for c in report.comments] == ["Lento", "Excelente"]  # latest first
    weeks = report.buckets()
    assert [(w.isoformat(), o, c, b) for w, o, c, b in weeks] == [
        ("2026-03-02", 2, 1, 1),
        ("2026-03-09", 1, 1, 1),
        ("2026-03-16", 1, 1, 1),
    ]


def test_report_and_ticket_pdfs_read_back(app, admin, history):
    c = admin_client(app, admin)
    response = c.get("/informes/pdf")
    assert response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    assert "Informes" in text and "Pintar el lobby" in text and "40,0" in text
    ticket = c.get(f"/tablero/tickets/{history[0].number}/pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(ticket.data)).pages)
    assert "Pintar el lobby" in text and "Pintura" in text and "Historial" in text


def test_pdf_rendering_fetches_nothing(app, admin, obras, client_user):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    hits: list[bytes] = []

    def accept() -> None:
        end = time.time() + 3
        while time.time() < end:
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            hits.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    payload = f'<img src="http://127.0.0.1:{port}/x"> <link href="http://127.0.0.1:{port}/c">'
    ticket = make_ticket(
        client_user,
        obras,
        payload,
        description=payload,
        data={"nota": f"file:///etc/passwd http://127.0.0.1:{port}/y"},
    )
    c = admin_client(app, admin)
    assert c.get(f"/tablero/tickets/{ticket.number}/pdf").status_code == 200
    assert c.get("/informes/pdf").status_code == 200
    from servicedesk.reports import pdf

    with app.test_request_context():
        assert pdf._link_callback(f"http://127.0.0.1:{port}/z", "") == ""
    thread.join()
    listener.close()
    assert hits == []


def test_large_export_runs_as_a_job_for_its_requester_only(app, admin, history):
    app.config["EXPORT_INLINE_MAX"] = 2
    try:
        c = admin_client(app, admin)
        page = c.get("/informes/excel?view=historial")
        assert page.status_code == 200 and "3" in page.get_data(as_text=True)
        assert db.session.scalars(select(Export)).all() == []  # a GET starts nothing
        assert c.post("/informes/excel?view=historial").status_code == 400  # no CSRF token
        response = c.post(
            "/informes/excel?view=historial",
            data={"csrf_token": csrf_token(page.get_data(as_text=True))},
        )
        assert response.status_code == 302
        export = db.session.scalars(select(Export)).one()
        assert export.query == "view=historial"
        assert response.headers["Location"] == f"/informes/exportaciones/{export.id}"
        assert "<progress" in c.get(response.headers["Location"]).get_data(as_text=True)
        for _ in range(100):
            progress = c.get(f"/informes/exportaciones/{export.id}.json").get_json()
            if progress["status"] == "done":
                break
            time.sleep(0.1)
        assert progress["status"] == "done" and progress["done"] == 3
        book = workbook(c.get(progress["download"]))
        assert book.worksheets[0].max_row == 4
        other = app.test_client()
        login(other, make_user(Role.ADMIN, "second-admin@example.org").email)
        assert other.get(progress["download"]).status_code == 404
        assert other.get(f"/informes/exportaciones/{export.id}").status_code == 404
        db.session.execute(db.update(Export).values(expires_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        assert c.get(progress["download"]).status_code == 404  # kept for a day only
    finally:
        app.config["EXPORT_INLINE_MAX"] = 5000


def test_large_pdf_report_runs_as_a_job_with_progress(app, admin, history, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX", 2)
    c = admin_client(app, admin)
    page = c.get("/informes/pdf")
    assert page.status_code == 200 and "application/pdf" not in page.content_type
    assert db.session.scalars(select(Export)).all() == []
    response = c.post("/informes/pdf", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    export = db.session.scalars(select(Export)).one()
    assert (response.status_code, export.kind) == (302, "pdf")
    status_page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "<progress" in status_page and "PDF" in status_page
    for _ in range(200):
        progress = c.get(f"/informes/exportaciones/{export.id}.json").get_json()
        if progress["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert progress["status"] == "done" and progress["done"] == 3
    download = c.get(progress["download"])
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].endswith(f"informe-{export.id}.pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(download.data)).pages)
    download.close()
    assert "Pintar el lobby" in text


@pytest.mark.parametrize("query", ["created_from=nope", "status[]=x", "assignee=1e99"])
def test_bad_report_parameters_get_a_clear_400(app, admin, history, query):
    c = admin_client(app, admin)
    for url in ("/informes/", "/informes/excel", "/informes/pdf"):
        assert c.get(f"{url}?{query}").status_code == 400


def test_whole_history_export_guards_every_text_column(app, admin, obras, collaborator):
    """No type: the 26 fixed columns; names and texts from people are never formulas."""
    collaborator.areas[0].name = "=Area"
    policy = SlaPolicy(name="=Urgente", current_version=1)
    version = SlaPolicyVersion(policy=policy, number=1, first_response_minutes=60)
    db.session.add_all([policy, version])
    db.session.flush()
    collaborator.name = "-Colab"
    requester = make_user(Role.CLIENT, "risky@example.org", "+Vecino")
    now = utcnow()
    ticket = make_ticket(
        requester,
        obras,
        "\tTab",
        status=Status.CLOSED,
        assignee_id=collaborator.id,
        area_id=collaborator.areas[0].id,
        created_at=now - timedelta(hours=3),
        closed_at=now,
        closure_count=1,
        data={"nota": "=1+1"},
        sla_version_id=version.id,
    )
    db.session.add(
        Feedback(ticket_id=ticket.id, closure=1, rating=5, comment="@me", author_id=requester.id)
    )
    db.session.commit()
    book = workbook(admin_client(app, admin).get("/informes/excel"))
    rows = list(book.worksheets[0].iter_rows())
    assert len(rows[0]) == 26 and len(rows) == 2
    row = {h.value: c for h, c in zip(rows[0], rows[1], strict=True)}
    for title, text in (
        ("Asunto", "\tTab"),
        ("Área", "=Area"),
        ("Solicitante", "+Vecino"),
        ("Asignado a", "-Colab"),
        ("Comentario de la calificación", "@me"),
        ("Política", "=Urgente"),
    ):
        assert row[title].value == text and row[title].data_type == "s", title
    assert row["Cerrado (UTC)"].value.tzinfo is None
    assert abs(row["Cerrado (UTC)"].value - now.replace(tzinfo=None)) < timedelta(seconds=1)
    assert row["Primera respuesta (UTC)"].value is None
    assert row["Primera respuesta (horas)"].value is None


def test_export_summary_matches_the_report_figures(app, admin, history, collaborator):
    """The summary gathered from export rows equals the report page's figures."""
    from servicedesk.reports import aggregate, data, metrics, service

    with app.test_request_context():
        _f, base, _t, _fields = service.selection(admin, "")
        summary = metrics.Summary("(none)")
        for row in data.export_rows(base, custom=False):
            summary.add(row)
        gathered = summary.report()
        expected = aggregate.build(base, "(none)")
    figures = (
        "tickets",
        "closed",
        "first_median",
        "first_p90",
        "resolution_median",
        "resolution_p90",
        "rating_average",
        "response_rate",
    )
    for name in figures:
        assert getattr(gathered.total, name) == getattr(expected.total, name), name
    for group in ("by_collaborator", "by_area", "by_type"):
        ours, theirs = getattr(gathered, group), getattr(expected, group)
        assert ours.keys() == theirs.keys()
        for key in ours:
            for name in figures:
                assert getattr(ours[key], name) == getattr(theirs[key], name), (group, key)


def test_export_dates_are_utc_wall_time(app, admin, history):
    """Naive UTC from the database itself, whatever the PostgreSQL session's time zone."""
    from datetime import UTC

    from sqlalchemy import text

    from servicedesk.reports import data, service

    closed = history[0]
    expected = closed.created_at.astimezone(UTC).replace(tzinfo=None)
    with app.test_request_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL TIME ZONE 'America/Santiago'"))
        _f, base, _t, _fields = service.selection(admin, "")
        rows = {r[data.NUMBER]: r for r in data.export_rows(base, custom=False)}
    created = rows[closed.number][data.CREATED]
    assert created.tzinfo is None and created == expected


# ---------------------------------------------------------------- charts, formats, layout


@pytest.fixture
def two_weeks(app, obras, client_user, collaborator):
    """Three tickets filed the week of Monday 2 March 2026 (one closed that week, rated 4) and
    one filed and closed the week of 13 April (rated 2): weekly buckets, known times."""
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    late = datetime(2026, 4, 13, 9, 0, tzinfo=UTC)
    for n, (created, first, resolution, rating) in enumerate(
        [(start, 0.5, 30, 4), (late, 2, 100, 2)]
    ):
        ticket = make_ticket(
            client_user,
            obras,
            f"Cerrado {n}",
            status=Status.CLOSED,
            assignee_id=collaborator.id,
            closure_count=1,
            created_at=created,
            first_response_at=created + timedelta(hours=first),
            resolved_at=created + timedelta(hours=resolution),
            closed_at=created + timedelta(hours=resolution),
        )
        db.session.add(
            Feedback(ticket_id=ticket.id, closure=1, rating=rating, author_id=client_user.id)
        )
    for day in (1, 2):
        make_ticket(client_user, obras, f"Abierto {day}", created_at=start + timedelta(days=day))
    db.session.commit()


def svg_marks(page: str, chart_id: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(series, period) → (value, title) of every bar and dot of one chart on a page."""
    svg = re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', page, re.S)
    assert svg, f"no {chart_id} on the page"
    found = {}
    for attrs, title in re.findall(
        r"<(?:rect|circle)([^>]*data-series[^>]*)><title>(.*?)</title>", svg.group(0)
    ):
        a = {k: html.unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', attrs)}
        found[(a["data-series"], a["data-label"])] = (a["data-value"], html.unescape(title))
    return found


@pytest.mark.parametrize(
    ("language", "week", "decimal", "rating_title"),
    [
        ("es", "2 mar", "65,0", "2 mar · Calificación promedio: 4,0 (calificaciones: 1)"),
        ("en", "Mar 2", "65.0", "Mar 2 · Average rating: 4.0 (ratings: 1)"),
    ],
)
def test_report_page_charts_count_the_known_weeks(
    app, admin, two_weeks, language, week, decimal, rating_title
):
    admin.language = language
    db.session.commit()
    page = admin_client(app, admin).get("/informes/").get_data(as_text=True)
    trend = svg_marks(page, "chart-trend")
    assert trend[("opened", week)][0] == "3" and trend[("closed", week)][0] == "1"
    assert trend[("backlog", week)][0] == "2"
    assert sum(int(v) for (s, _w), (v, _t) in trend.items() if s == "opened") == 4
    assert len({w for _s, w in trend}) == 7  # every week from 2 March to 13 April, empty ones too
    spread = svg_marks(page, "chart-spread")
    assert [spread[("first", label)][0] for label in ("< 1 h", "1–4 h")] == ["1", "1"]
    assert spread[("resolution", "> 3 d")][0] == "1"
    satisfaction = svg_marks(page, "chart-satisfaction")
    assert satisfaction[("rating", week)] == ("4.0", rating_title)
    for chart in ("chart-trend", "chart-spread", "chart-satisfaction"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page and 'role="img"' in page
    assert "style=" not in page.split("<svg", 1)[1]  # the CSP allows no inline style
    assert decimal in page  # the median resolution, (30 + 100) / 2 hours


def test_report_type_filter_is_a_list_of_types(app, admin, history):
    page = admin_client(app, admin).get("/informes/?type=obras").get_data(as_text=True)
    assert '<select class="form-select" id="r-type" name="type">' in page
    assert '<option value="obras" selected>Obras</option>' in page


def test_numbers_in_the_readers_language(app, admin, history):
    """2,0 in Spanish and 2.0 in English: the first response of the closed ticket."""
    c = admin_client(app, admin)
    assert "2,0" in c.get("/informes/").get_data(as_text=True)
    admin.language = "en"
    db.session.commit()
    page = c.get("/informes/").get_data(as_text=True)
    assert "2.0" in page and "2,0" not in page


def test_excel_header_frozen_filtered_sized_and_typed(app, admin, history):
    book = workbook(admin_client(app, admin).get("/informes/excel?type=obras"))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:AE{len(history) + 1}"  # 26 fixed + 5 custom columns
    assert sheet.column_dimensions["D"].width == 40 and sheet.column_dimensions["AE"].width == 18
    assert sheet.column_dimensions["S"].width == 24  # the policy's name
    header = [c.value for c in sheet[1]]
    closed = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == history[0].number)
    row = dict(zip(header, closed, strict=True))
    assert row["Primera respuesta (horas)"].number_format == "0.00"
    assert row["Resolución (horas)"].number_format == "0.00"
    assert row["Creado (UTC)"].number_format == "yyyy-mm-dd hh:mm" and row["Creado (UTC)"].is_date
    assert row["Calificación"].number_format == "0" and row["Calificación"].value == 4


@pytest.mark.parametrize(
    ("language", "page_of", "period"),
    [
        ("es", "Página {n} de {total}", "2 de marzo de 2026 a 13 de abril de 2026"),
        ("en", "Page {n} of {total}", "March 2, 2026 to April 13, 2026"),
    ],
)
def test_pdf_pages_are_numbered_and_carry_period_and_filters(
    app, admin, two_weeks, language, page_of, period
):
    admin.language = language
    db.session.commit()
    response = admin_client(app, admin).get("/informes/pdf?status=closed&status=new")
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages]
    assert len(pages) >= 2  # the three charts alone fill more than one A4 page
    for n, text in enumerate(pages, 1):
        flat = " ".join(text.split())
        assert page_of.format(n=n, total=len(pages)) in flat
        assert period in flat
        assert ("Cerrado, Nuevo" if language == "es" else "Closed, New") in flat


def test_a_rating_counts_on_the_readers_day_of_the_closure(app, admin, obras, client_user):
    """Closed at 01:30 UTC on 2 March is 22:30 on 1 March in Santiago: the satisfaction per
    day is on the reader's calendar, as the tickets opened and closed per day are."""
    ticket = make_ticket(
        client_user,
        obras,
        "Portón",
        status=Status.CLOSED,
        created_at=datetime(2026, 3, 1, 12, 0),
        resolved_at=datetime(2026, 3, 2, 1, 30),
        closed_at=datetime(2026, 3, 2, 1, 30),
        closure_count=1,
    )
    db.session.add(Feedback(ticket_id=ticket.id, closure=1, rating=5, author_id=client_user.id))
    db.session.commit()
    with app.test_request_context():
        _f, base, _t, _fields = service.selection(admin, "")
        santiago, _levels = service.build_report(base, "America/Santiago")
        utc, _levels = service.build_report(base, "UTC")
    assert dict(santiago.rating_count) == {date(2026, 3, 1): 1}
    assert dict(santiago.closed) == {date(2026, 3, 1): 1}
    assert dict(utc.rating_count) == {date(2026, 3, 2): 1} == dict(utc.closed)
