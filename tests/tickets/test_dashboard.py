"""The Tablero: views, filters, search, pages, saved views, workload; safe and index-backed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from servicedesk.extensions import db
from servicedesk.models import Area, Comment, SavedView, Status, Ticket, utcnow
from tests.conftest import csrf_token, login
from tests.factories import make_ticket


def numbers(page: str) -> list[int]:
    """Ticket numbers listed on a dashboard page, in order."""
    return [int(n) for n in re.findall(r'data-ticket-row="(\d+)"', page)]


@pytest.fixture
def desk(app, collaborator):
    """A test client signed in as a collaborator."""
    c = app.test_client()
    login(c, collaborator.email)
    return c


@pytest.fixture
def tickets(app, soporte, client_user, other_client, collaborator):
    """A spread of tickets over statuses, owners, priorities and fields."""
    area = db.session.scalar(select(Area).where(Area.name == "Seguridad"))
    made = []
    specs = [
        ("Fuga de agua en el baño", Status.NEW, None, "normal", {"categoria": "agua"}),
        (
            "Portón del jardín roto",
            Status.OPEN,
            collaborator.id,
            "high",
            {"categoria": "otro", "detalle": "bisagra", "urgente": True},
        ),
        (
            "Ascensor detenido",
            Status.IN_PROGRESS,
            collaborator.id,
            "urgent",
            {"categoria": "otro", "detalle": "motor"},
        ),
        ("Consulta de pagos", Status.WAITING, None, "low", {"categoria": "agua"}),
        ("Electricidad resuelta", Status.RESOLVED, collaborator.id, "normal", {}),
        ("Limpieza terminada", Status.CLOSED, None, "normal", {}),
    ]
    for index, (subject, status, assignee, priority, data) in enumerate(specs):
        requester = client_user if index % 2 == 0 else other_client
        made.append(
            make_ticket(
                requester,
                soporte,
                subject,
                status=status,
                assignee_id=assignee,
                priority=priority,
                area_id=area.id if index < 3 else None,
                data={"ubicacion": f"Depto {index}", **data},
                created_at=utcnow() - timedelta(days=index * 40),
                updated_at=utcnow() - timedelta(hours=index),
            )
        )
    return made


def test_views_and_counts(desk, tickets):
    page = desk.get("/tablero/").get_data(as_text=True)
    assert numbers(page) == [t.number for t in tickets[:4]]
    counts = dict(re.findall(r'data-testid="view-(\w+)">[^<]*<span class="badge[^"]*">(\d+)', page))
    assert counts == {
        "activos": "4",
        "mios": "2",
        "sin_asignar": "2",
        "mi_area": "3",
        "vencidos": "0",
        "en_riesgo": "0",
        "historial": "6",
    }
    mine = numbers(desk.get("/tablero/?view=mios").get_data(as_text=True))
    assert mine == [tickets[1].number, tickets[2].number]
    assert numbers(desk.get("/tablero/?view=historial").get_data(as_text=True)) == [
        t.number for t in tickets
    ]


def test_counts_stop_at_the_cap(app, desk, tickets, monkeypatch):
    """Past DASHBOARD_COUNT_CAP a view shows "cap+", below it the exact number."""
    monkeypatch.setitem(app.config, "DASHBOARD_COUNT_CAP", 3)
    page = desk.get("/tablero/").get_data(as_text=True)
    counts = dict(
        re.findall(r'data-testid="view-(\w+)">[^<]*<span class="badge[^"]*">([^<]+)', page)
    )
    assert counts == {
        "activos": "3+",
        "mios": "2",
        "sin_asignar": "2",
        "mi_area": "3",
        "vencidos": "0",
        "en_riesgo": "0",
        "historial": "3+",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("view=historial&status=closed&status=resolved", [4, 5]),
        ("view=historial&priority=urgent&priority=high", [1, 2]),
        ("view=historial&assignee=none", [0, 3, 5]),
        ("view=historial&type=soporte&cf.categoria=otro", [1, 2]),
        ("view=historial&type=soporte&cf.urgente=true", [1]),
        ("view=historial&type=soporte&cf.ubicacion=depto 3", [3]),
        ("view=historial&type=nope", []),
        ("view=historial&overdue=1", [3]),
        ("view=historial&q=jardin", [1]),
        ("view=historial&q=ASCENSOR", [2]),
        ("view=historial&q=bisagra", [1]),
        ("view=historial&sort=-priority", [2, 1, 5, 4, 0, 3]),
    ],
)
def test_filters(desk, tickets, query, expected):
    page = desk.get(f"/tablero/?{query}").get_data(as_text=True)
    assert numbers(page) == [tickets[i].number for i in expected]


def test_date_range_filter(desk, tickets):
    start = (utcnow() - timedelta(days=85)).date().isoformat()
    end = (utcnow() - timedelta(days=35)).date().isoformat()
    page = desk.get(f"/tablero/?view=historial&created_from={start}&created_to={end}")
    assert numbers(page.get_data(as_text=True)) == [tickets[1].number, tickets[2].number]


@pytest.mark.parametrize(
    "query",
    [
        "status[]=new",
        "view=historial&created_from=2026-13-45",
        "assignee=99999999999999999999",
        "area='; DROP TABLE tickets; --",
        "requester=-1",
        "created_to=yesterday",
        "type=soporte&cf.urgente=1&cf.ubicacion=%25%27%22%5C",
        "q=" + "\"*:()^'" * 20,
        "q=NEAR(a b)",
        "sort=id; delete",
        "view=<script>",
        "after=1 OR 1=1",
        "x[]=1",
        "type=soporte&cf.categoria.min=abc",
        "q=" + "x" * 300,
        "view=historial&after=99999999999999999999999",
        "before=99999999999999999999999&last=1",
        "after=%C2%B2",
        "area=%C2%B2",
        "assignee=%D9%A1%D9%A2",
    ],
)
def test_bad_parameters_never_reach_the_database(desk, tickets, query):
    response = desk.get(f"/tablero/?{query}")
    assert response.status_code in (200, 400), query
    if response.status_code == 200:
        assert "<script>" not in response.get_data(as_text=True).split("<main")[1]
    assert db.session.scalar(select(db.func.count()).select_from(Ticket)) == 6


def test_search_is_kept_in_sync_on_every_write(app, desk, tickets, collaborator):
    target = tickets[0]
    token = csrf_token(desk.get(f"/tablero/tickets/{target.number}").get_data(as_text=True))
    desk.post(
        f"/tablero/tickets/{target.number}/responder",
        data={"csrf_token": token, "body": "Cambiamos la válvula de paso"},
    )
    desk.post(
        f"/tablero/tickets/{target.number}/responder",
        data={"csrf_token": token, "body": "secretísimo", "internal": "1"},
    )
    found = lambda q: numbers(  # noqa: E731
        desk.get(f"/tablero/?view=historial&q={q}").get_data(as_text=True)
    )
    assert found("valvula") == [target.number]
    assert found("secretisimo") == []  # internal notes are not searchable
    desk.post(
        f"/tablero/tickets/{target.number}/campos",
        data={
            "csrf_token": token,
            "cf-ubicacion": "Torre Norte",
            "cf-categoria": "agua",
            "version": str(db.session.get(Ticket, target.id).version),
        },
    )
    assert found("torre norte") == [target.number]


def test_pages_by_keyset_first_next_prev_last(desk, soporte, client_user):
    made = [
        make_ticket(
            client_user,
            soporte,
            f"T{i}",
            status=Status.OPEN,
            updated_at=utcnow() - timedelta(minutes=i),
        )
        for i in range(120)
    ]
    expected = [t.number for t in made]  # most recently updated first
    first = desk.get("/tablero/").get_data(as_text=True)
    assert numbers(first) == expected[:50]
    after = re.search(r'href="([^"]*after=\d+[^"]*)" rel="next"', first).group(1)
    second = desk.get(after.replace("&amp;", "&")).get_data(as_text=True)
    assert numbers(second) == expected[50:100]
    before = re.search(r'href="([^"]*before=\d+[^"]*)" rel="prev"', second).group(1)
    assert numbers(desk.get(before.replace("&amp;", "&")).get_data(as_text=True)) == expected[:50]
    last = desk.get("/tablero/?last=1").get_data(as_text=True)
    assert numbers(last) == expected[70:]


def count_queries(app, client, url: str) -> int:
    """Count the SQL statements one request runs."""
    statements: list[str] = []

    def listener(*args):  # noqa: ANN002
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


@pytest.mark.parametrize("url", ["/tablero/?view=historial", "/mesa-de-ayuda/"])
def test_fixed_number_of_queries_whatever_the_page_size(
    app, soporte, client_user, collaborator, url
):
    c = app.test_client()
    login(c, (client_user if url.startswith("/mesa") else collaborator).email)
    make_ticket(client_user, soporte, "uno")
    few = count_queries(app, c, url)
    area = Area(name="Otra")
    db.session.add(area)
    db.session.commit()
    for i in range(45):
        make_ticket(
            client_user,
            soporte,
            f"t{i}",
            area_id=area.id,
            assignee_id=collaborator.id if i % 2 else None,
        )
    assert count_queries(app, c, url) == few


def test_client_search_and_filters_stay_within_own_tickets(app, tickets, other_client):
    c = app.test_client()
    login(c, other_client.email)
    own = {t.number for i, t in enumerate(tickets) if i % 2 == 1}
    for query in ("", "q=fuga", "q=ascensor", "status=new", "q=agua", "type=soporte"):
        listed = set(numbers(c.get(f"/mesa-de-ayuda/?{query}").get_data(as_text=True)))
        assert listed <= own, query
    assert numbers(c.get("/mesa-de-ayuda/?q=portón").get_data(as_text=True)) == [tickets[1].number]
    assert c.get("/tablero/").status_code == 403


def test_saved_views_and_default_view(app, desk, tickets, collaborator):
    token = csrf_token(desk.get("/tablero/").get_data(as_text=True))
    response = desk.post(
        "/tablero/vistas",
        data={"csrf_token": token, "name": "Urgentes", "query": "view=historial&priority=urgent"},
    )
    assert response.status_code == 302
    view = db.session.scalars(select(SavedView)).one()
    page = desk.get("/tablero/?view=activos").get_data(as_text=True)
    assert 'data-testid="saved-view"' in page and "Urgentes" in page
    desk.post(f"/tablero/vistas/{view.id}/predeterminada", data={"csrf_token": token})
    opened = desk.get("/tablero/")
    assert opened.status_code == 302 and "priority=urgent" in opened.headers["Location"]
    stranger = app.test_client()
    from servicedesk.models import Role
    from tests.conftest import make_user

    other = make_user(Role.COLLABORATOR, "other-colab@example.org")
    login(stranger, other.email)
    stoken = csrf_token(stranger.get("/tablero/?view=activos").get_data(as_text=True))
    assert (
        stranger.post(f"/tablero/vistas/{view.id}/borrar", data={"csrf_token": stoken}).status_code
        == 404
    )
    bad = desk.post(
        "/tablero/vistas", data={"csrf_token": token, "name": "Mala", "query": "created_from=nope"}
    )
    assert bad.status_code == 400
    desk.post(f"/tablero/vistas/{view.id}/borrar", data={"csrf_token": token})
    assert db.session.scalars(select(SavedView)).all() == []


def test_workload_for_administrators(app, tickets, admin, collaborator):
    c = app.test_client()
    login(c, admin.email)
    page = c.get("/tablero/carga").get_data(as_text=True)
    row = re.search(rf'data-workload-person="{collaborator.id}"><td>.*?</td><td>(\d+)', page)
    assert row.group(1) == "2"  # open and in progress; resolved does not count
    idle = re.search(rf'data-workload-person="{admin.id}"><td>.*?</td><td>(\d+)', page)
    assert idle.group(1) == "0"  # nobody open is still listed
    area = db.session.scalar(select(Area).where(Area.name == "Seguridad"))
    row = re.search(rf'data-workload-area="{area.id}"><td>.*?</td><td>(\d+)', page)
    assert row.group(1) == "3"
    assert re.search(r": 2 · <a", page)  # two open tickets without an owner
    desk = app.test_client()
    login(desk, collaborator.email)
    assert desk.get("/tablero/carga").status_code == 403


SCENARIOS = [
    "view=activos",
    "view=mios",
    "view=sin_asignar",
    "view=mi_area",
    "view=historial&last=1",
    "view=historial&type=soporte&cf.categoria=otro",
    "view=historial&created_from=2025-01-01&created_to=2025-03-31&priority=high",
    "view=historial&q=ascensor",
    "view=vencidos",
    "view=en_riesgo",
    "view=activos&sort=due",
    "view=vencidos&sort=due&last=1",
    "view=activos&sla_state=at_risk&sla_state=breached",
]
# The tables that grow with the tickets; the small ones (users, areas, types) may be scanned.
GROWING = re.compile(r"Seq Scan on (tickets|comments|ticket_events|attachments|feedback)\b")


def explained_plans(client, url: str) -> list[str]:
    """EXPLAIN every SELECT one request runs, with sequential scans priced out."""
    plans: list[str] = []

    def capture(conn, _cursor, statement, parameters, _context, _many):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).fetchall()
            plans.append("\n".join(r[0] for r in rows))

    db.session.commit()  # hand the session's connection back before the pool is replaced
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    event.listen(db.engine, "before_cursor_execute", capture)
    event.listen(db.engine, "connect", _no_seqscan)
    db.engine.dispose()
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
        event.remove(db.engine, "connect", _no_seqscan)
        db.engine.dispose()
    return plans


@pytest.mark.parametrize("query", SCENARIOS)
def test_no_full_table_scan_on_postgresql(app, desk, tickets, query):
    """With sequential scans priced out, every dashboard query still finds an index path."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("EXPLAIN check is for PostgreSQL")
    plans = explained_plans(desk, f"/tablero/?{query}")
    assert any("tickets" in plan for plan in plans)
    for plan in plans:
        assert not GROWING.search(plan), plan


@pytest.mark.parametrize("page", ["workload", "ticket"])
def test_workload_and_ticket_page_scan_no_growing_table_on_postgresql(
    app, desk, tickets, admin, page
):
    """The other two benchmarked pages read tickets, comments and events through indexes."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("EXPLAIN check is for PostgreSQL")
    if page == "workload":
        client, url = app.test_client(), "/tablero/carga"
        login(client, admin.email)
    else:
        client, url = desk, f"/tablero/tickets/{tickets[1].number}"
    plans = explained_plans(client, url)
    assert any("tickets" in plan for plan in plans)
    for plan in plans:
        assert not GROWING.search(plan), plan


def _no_seqscan(dbapi_connection, _record) -> None:  # noqa: ANN001
    """Make sequential scans look prohibitively expensive on this connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET enable_seqscan = off")
    cursor.close()
    dbapi_connection.commit()


def test_text_search_uses_the_database_engine(app, tickets):
    table = "ticket_search"
    rows = db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
    assert rows == 6
    assert db.session.scalar(select(db.func.count()).select_from(Comment)) == 0
