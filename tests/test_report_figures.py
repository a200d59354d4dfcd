"""The report's grouped queries (reports/aggregate.py) equal the row-by-row computation
(tests/reports_reference.py) on 10,000 varied tickets: every figure, several filters and zones."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from servicedesk.extensions import db
from servicedesk.models import (
    REPORT_COLUMNS,
    Area,
    Channel,
    Feedback,
    Priority,
    ReportChange,
    ReportCubeRow,
    ReportMonth,
    Role,
    SlaPhase,
    Status,
    Ticket,
    elapsed_us,
    utcnow,
)
from servicedesk.reports import aggregate, cache, charts, data, service
from servicedesk.zones import set_organisation_zone
from tests import reports_reference
from tests.conftest import login, make_user
from tests.factories import make_ticket, make_type

N = 10_000
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ZONES = (
    "UTC",
    "Europe/Madrid",
    "America/Santiago",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
)
FIGURES = (
    "tickets",
    "closed",
    "first_median",
    "first_p90",
    "resolution_median",
    "resolution_p90",
    "rating_average",
    "response_rate",
)
# Zone changes and local midnights the days must fall on the right side of.
EDGES = [
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # Madrid: summer time starts
    datetime(2025, 10, 26, 1, 0, tzinfo=UTC),  # Madrid: winter time
    datetime(2026, 4, 5, 3, 0, tzinfo=UTC),  # Santiago: winter time
    datetime(2025, 9, 7, 4, 0, tzinfo=UTC),  # Santiago: summer time
    datetime(2026, 3, 1, 18, 30, tzinfo=UTC),  # Kolkata midnight
    datetime(2026, 3, 1, 18, 15, tzinfo=UTC),  # Kathmandu midnight
    datetime(2026, 4, 4, 14, 30, tzinfo=UTC),  # Lord Howe: back to +10:30
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),  # UTC midnight
]
# Elapsed times (µs) at the edges of the rounding to hundredths of an hour and of the
# attention-time buckets (1 h, 4 h, 24 h, 72 h).
HALF = 18_000_000  # half a hundredth of an hour
EDGY = [k * 36_000_000 + HALF + d for k in (0, 1, 7, 99, 100, 2399) for d in (-1, 0, 1)] + [
    h * 3_600_000_000 + d for h in (1, 4, 24, 72) for d in (-HALF - 1, -HALF, -1, 0, 1)
]


def _elapsed(rng: random.Random, typical_hours: float) -> timedelta:
    """A time to answer or resolve: mostly spread, sometimes on a rounding edge."""
    if rng.random() < 0.08:
        return timedelta(microseconds=rng.choice(EDGY))
    return timedelta(microseconds=int(rng.expovariate(1 / typical_hours) * 3_600_000_000))


@pytest.fixture
def desk(app):
    """10,000 tickets over 400 days: types, areas (and none), assignees (two share a name,
    some none), every status, channel and priority, ratings with and without comments,
    reopened tickets whose rating is of an earlier closure or stays from the last one."""
    rng = random.Random(18)
    areas = [Area(name=n) for n in ("Seguridad", "Limpieza", "Mantenimiento")]
    db.session.add_all(areas)
    db.session.flush()
    versions = [make_type(key, name) for key, name in (("s", "Soporte"), ("l", "Limpieza"))]
    versions.append(make_type("r", "Reclamo"))
    staff = [
        make_user(Role.COLLABORATOR, f"c{i}@example.org", name, areas=[areas[i % 3]])
        for i, name in enumerate(["Ana Pérez", "Bruno", "Ana Pérez", "Carla", "Diego"])
    ]
    clients = [make_user(Role.CLIENT, f"r{i}@example.org") for i in range(3)]
    tickets, feedback = [], []
    for number in range(1, N + 1):
        version = rng.choice(versions)
        if number <= len(EDGES) * 4:  # on and around the zones' edges
            created = EDGES[number % len(EDGES)] + timedelta(microseconds=(number // 8 - 2))
        else:
            created = NOW - timedelta(microseconds=rng.randrange(400 * 86_400_000_000))
        status = rng.choice(Status.values())
        first = resolved = closed = None
        closures = 0
        if status != "new" or rng.random() < 0.1:
            first = created + _elapsed(rng, 6)
        if status in ("resolved", "closed") or rng.random() < 0.05:
            resolved = created + _elapsed(rng, 40)
        if status == "closed":
            closed = (resolved or created) + timedelta(hours=rng.uniform(0, 30))
            closures = rng.choice((1, 1, 1, 2))
        elif status in ("open", "in_progress") and rng.random() < 0.2:
            closures = 1  # reopened: its rating, if any, is of that closure
        tickets.append(
            {
                "id": number,
                "number": number,
                "ticket_type_id": version.ticket_type_id,
                "type_version_id": version.id,
                "subject": f"Ticket {number}",
                "description": "",
                "data": {},
                "status": status,
                "priority": rng.choice(Priority.values()),
                "channel": rng.choice(Channel.values()),
                "requester_id": rng.choice(clients).id,
                "assignee_id": rng.choice(staff).id if rng.random() < 0.85 else None,
                "area_id": rng.choice(areas).id if rng.random() < 0.9 else None,
                "created_at": created,
                "updated_at": closed or resolved or first or created,
                "first_response_at": first,
                "resolved_at": resolved,
                # Rows written as the app writes them (the ORM keeps these two).
                "first_response_us": elapsed_us(created, first),
                "resolution_us": elapsed_us(created, resolved),
                "closed_at": closed,
                "closure_count": closures,
                "version": 1,
            }
        )
        if closures and rng.random() < 0.75:
            feedback.append(
                {
                    "ticket_id": number,
                    "closure": rng.choice((1, closures)),
                    "rating": rng.randint(1, 5),
                    "comment": rng.choice(("", "", "Bien", "Lento", "Muy amable")),
                    "author_id": None,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
    db.session.execute(insert(Ticket.__table__), tickets)
    db.session.execute(insert(Feedback.__table__), feedback)
    db.session.commit()
    return {"areas": areas, "staff": staff, "versions": versions}


def _figures(times) -> tuple:
    return tuple(getattr(times, name) for name in FIGURES)


def assert_same(fast, slow) -> None:
    """Every figure of the two reports is the same."""
    assert _figures(fast.total) == _figures(slow.total)
    for group in ("by_collaborator", "by_area", "by_type"):
        ours = {k: _figures(v) for k, v in getattr(fast, group).items()}
        assert ours == {k: _figures(v) for k, v in getattr(slow, group).items()}, group
    assert {k: dict(v) for k, v in fast.counts.items()} == {
        k: dict(v) for k, v in slow.counts.items()
    }
    for name in (
        "opened",
        "closed",
        "distribution",
        "first_spread",
        "resolution_spread",
        "rating_sum",
        "rating_count",
    ):
        assert dict(getattr(fast, name)) == dict(getattr(slow, name)), name
    assert fast.comments == slow.comments
    assert fast.step() == slow.step()
    for step in ("day", "week", "month"):
        assert fast.trend(step) == slow.trend(step)
        assert fast.satisfaction(step) == slow.satisfaction(step)
    assert charts.for_report(fast) == charts.for_report(slow)


def _both(user, query: str, zone: str):
    """The report of a selection computed both ways (grouped: in three queries run at once
    on PostgreSQL, whose groups meet again in Python; one query on SQLite)."""
    _f, base, _t, _fields = service.selection(user, query)
    fast = aggregate.build(base, "(none)", zone, parts=3)
    slow = reports_reference.build(data.export_rows(base, custom=False), "(none)", zone)
    return fast, slow


def test_grouped_figures_equal_the_row_by_row_ones(app, admin, desk):
    area, person = desk["areas"][0], desk["staff"][1]
    queries = [
        "created_from=2026-01-01&created_to=2026-03-31",
        "status=closed&priority=high",
        f"area={area.id}",
        "assignee=none",
        f"assignee={person.id}&channel=phone",
        "type=l",
        "rating=5",
        "view=activos",
    ]
    with app.test_request_context():
        for zone in ZONES:
            fast, slow = _both(admin, "", zone)
            assert fast.total.tickets == N
            assert_same(fast, slow)
        assert {"Ana Pérez", "(none)"} <= set(fast.by_collaborator)  # namesakes merged
        assert {"(none)"} <= set(fast.by_area)
        for i, query in enumerate(queries):
            fast, slow = _both(admin, query, ZONES[i % len(ZONES)])
            assert 0 < fast.total.tickets < N, query
            assert_same(fast, slow)
        for query in ("type=nadie", "created_from=2020-01-01&created_to=2020-01-31"):
            fast, slow = _both(admin, query, "Europe/Madrid")  # nothing selected
            assert fast.total.tickets == 0
            assert_same(fast, slow)


def test_a_collaborators_report_is_the_row_by_row_one_of_their_areas(app, desk, monkeypatch):
    # monkeypatch: the setting goes back after the test (the app is shared by the session).
    monkeypatch.setitem(app.config, "REPORTS_FOR_COLLABORATORS", True)
    colab = desk["staff"][0]
    with app.test_request_context():
        fast, slow = _both(colab, "", "Europe/Madrid")
        assert set(fast.counts["area"]) == {colab.areas[0].name}
        assert_same(fast, slow)


NONCE = re.compile(r'nonce="[^"]*"|name="csrf_token" value="[^"]*"')


def test_the_page_shows_what_the_row_by_row_report_shows(app, admin, desk, monkeypatch):
    """The whole page (figures, charts, tables) over HTTP, both ways, is the same HTML (its
    months read from the monthly cache, which the worker has built)."""
    _build_cache(app)
    client = app.test_client()
    login(client, admin.email)
    url = "/informes/?created_from=2025-12-01&created_to=2026-11-30"
    fast = client.get(url)
    assert fast.status_code == 200

    def row_by_row(base, zone, cached=None):
        rows = data.export_rows(base, custom=False)
        # The attention figures the old way; compliance (not in the old page) as it is.
        levels = aggregate.build_both(base, service._("(none)"), zone)[1]
        return reports_reference.build(rows, service._("(none)"), zone), levels

    monkeypatch.setattr(service, "build_report", row_by_row)
    slow = client.get(url)
    assert slow.status_code == 200
    page = NONCE.sub("", fast.get_data(as_text=True))
    assert page == NONCE.sub("", slow.get_data(as_text=True))
    assert 'data-testid="by-collaborator"' in page and "Ana Pérez" in page


def _cached_and_live(user, query: str, zone: str):
    """A report read partly from the monthly cache, the same counted live, and row by row."""
    f, base, _t, _fields = service.selection(user, query)
    cached = cache.usable(f, user, zone)
    assert cached is not None and cached.months, query
    fast = aggregate.build_both(base, "(none)", zone, cached=cached)
    live = aggregate.build_both(base, "(none)", zone)
    slow = reports_reference.build(data.export_rows(base, custom=False), "(none)", zone)
    return fast, live, slow


def _same_compliance(one, other) -> None:
    """Two compliance reports agree on every group's figures."""
    for name in ("by_collaborator", "by_area", "by_type", "by_priority"):
        assert getattr(one, name).keys() == getattr(other, name).keys(), name
        for key, group in getattr(one, name).items():
            assert vars(group) == vars(getattr(other, name)[key]), (name, key)
    assert vars(one.total) == vars(other.total)


def _build_cache(app) -> dict[str, int]:
    """Run `flask report-cache`; the months it built, with their settled tickets."""
    result = app.test_cli_runner().invoke(args=["report-cache"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["months"]


def test_the_monthly_cache_gives_the_live_figures_before_and_after_changes(app, admin, desk):
    """Months read from the cache (reports/cache.py) give exactly the live figures; a ticket
    written afterwards, by the ORM or by a bare UPDATE, makes its month count live until the
    worker builds it again; tickets whose clocks run are never cached."""
    with app.test_request_context():
        set_organisation_zone("America/Santiago")  # hour buckets: Madrid's readers too
        running = db.session.scalars(
            select(Ticket).where(Ticket.status == Status.OPEN).order_by(Ticket.id).limit(40)
        ).all()
        for i, ticket in enumerate(running):  # half past due now, half not yet
            ticket.sla_phase = SlaPhase.RUNNING
            ticket.sla_version_id = None
            ticket.sla_response_due = NOW + timedelta(days=(-1) ** i * 400)
            ticket.sla_resolution_due = NOW + timedelta(days=(-1) ** i * 400)
        db.session.commit()
    months = _build_cache(app)
    assert len(months) >= 13 and sum(months.values()) == N - len(running)
    with app.test_request_context():
        assert db.session.scalar(select(func.count()).select_from(ReportChange)) == 0
        year = "created_from=2025-12-01&created_to=2026-11-30"
        for query, zone in (("", "America/Santiago"), (year, "Europe/Madrid")):
            fast, live, slow = _cached_and_live(admin, query, zone)
            assert_same(fast[0], slow)
            _same_compliance(fast[1], live[1])
        # A closed ticket of a cached month reopened (ORM), another's rating changed and a
        # third moved to another area by a bare UPDATE: their months are counted live.
        reopened = db.session.scalars(
            select(Ticket).where(Ticket.status == Status.CLOSED).order_by(Ticket.id).limit(1)
        ).one()
        reopened.status, reopened.closed_at, reopened.resolved_at = Status.OPEN, None, None
        rating = db.session.scalars(select(Feedback).order_by(Feedback.id.desc()).limit(1)).one()
        rating.rating = 6 - rating.rating
        moved = db.session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(1)).one()
        db.session.execute(
            update(Ticket).where(Ticket.id == moved.id).values(area_id=desk["areas"][2].id)
        )
        db.session.commit()
        changed = set(db.session.scalars(select(ReportChange.month).distinct()))
        assert cache.month_of(reopened.created_at) in changed and len(changed) <= 3
        for query, zone in (("", "America/Santiago"), (year, "Europe/Madrid")):
            fast, live, slow = _cached_and_live(admin, query, zone)
            assert_same(fast[0], slow)
            _same_compliance(fast[1], live[1])
    rebuilt = _build_cache(app)
    assert set(rebuilt) == changed
    with app.test_request_context():
        assert db.session.scalar(select(func.count()).select_from(ReportChange)) == 0
        assert db.session.scalar(select(func.count()).select_from(ReportMonth)) == len(months)
        fast, live, slow = _cached_and_live(admin, "", "America/Santiago")
        assert_same(fast[0], slow)
        _same_compliance(fast[1], live[1])


def test_a_filtered_or_a_collaborators_report_is_counted_live(app, admin, desk, monkeypatch):
    """The cache holds a period's whole history: any other filter, or a collaborator's areas,
    is counted from the tickets."""
    monkeypatch.setitem(app.config, "REPORTS_FOR_COLLABORATORS", True)
    _build_cache(app)
    with app.test_request_context():
        zone = "UTC"  # the organisation's zone here
        for query in ("status=closed", "q=fuga", "assignee=none", "view=activos", "rating=5"):
            f, _base, _t, _fields = service.selection(admin, query)
            assert cache.usable(f, admin, zone) is None, query
        f, _base, _t, _fields = service.selection(admin, "created_from=2026-01-01")
        assert cache.usable(f, admin, zone) is not None
        assert cache.usable(f, admin, "America/Santiago") is None  # other buckets
        f, _base, _t, _fields = service.selection(desk["staff"][0], "")
        assert cache.usable(f, desk["staff"][0], zone) is None


def test_the_embedded_ticker_builds_the_cache_by_itself(app, admin, soporte, client_user):
    """Without Redis each web process keeps the reports' cache in a thread started with it."""
    for days in (40, 70, 100):
        make_ticket(client_user, soporte, created_at=utcnow() - timedelta(days=days))
    app.config["REPORT_CACHE_SECONDS"] = 0.2
    client = app.test_client()
    try:
        assert client.get("/").status_code in (200, 302)  # the first request starts it
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _cached_months(app):
            time.sleep(0.1)
    finally:
        app.config["REPORT_CACHE_SECONDS"] = 0
        cache.stop(app)
    months = _cached_months(app)
    assert len(months) >= 3 and sum(months.values()) == 3


def _cached_months(app) -> dict[str, int]:
    """The months in the cache, with the tickets each counts."""
    with app.app_context():
        rows = db.session.execute(select(ReportMonth.month, ReportMonth.tickets)).all()
        db.session.remove()
    return dict(rows)


def test_a_ticket_written_while_its_month_is_built_keeps_the_month_live(
    app, admin, soporte, client_user, monkeypatch
):
    """A write that commits while the worker counts its month is not lost: the month stays
    marked (SQLite: the writer waits for the builder's lock; PostgreSQL: the builder's
    snapshot neither counts the write nor deletes its mark), so reports count it live."""
    month_start = datetime(2026, 5, 1, tzinfo=UTC)
    tickets = [
        make_ticket(client_user, soporte, created_at=month_start + timedelta(days=d))
        for d in (1, 2, 3)
    ]
    target = tickets[0].id
    db.session.commit()
    real_cube = aggregate.cube

    def write_meanwhile() -> None:
        with app.app_context():
            db.session.execute(
                update(Ticket).where(Ticket.id == target).values(priority=Priority.URGENT)
            )
            db.session.commit()
            db.session.remove()

    writer = threading.Thread(target=write_meanwhile)

    def cube_while_writing(*args, **kwargs):
        db.session.execute(select(1))  # the builder's snapshot begins here (PostgreSQL)
        writer.start()
        writer.join(1)  # PostgreSQL: committed now; SQLite: waits for the builder's lock
        return real_cube(*args, **kwargs)

    monkeypatch.setattr(cache.aggregate, "cube", cube_while_writing)
    with app.app_context():
        assert cache.refresh() == ["2026-05"]
    writer.join(30)
    assert not writer.is_alive()
    monkeypatch.setattr(cache.aggregate, "cube", real_cube)
    with app.test_request_context():
        assert set(db.session.scalars(select(ReportChange.month))) == {"2026-05"}
        f, base, _t, _fields = service.selection(admin, "")
        cached = cache.usable(f, admin, "UTC")
        assert cached is not None and cached.months == ("2026-05",)
        fast = aggregate.build(base, "(none)", "UTC", cached=cached)
        assert fast.counts["priority"] == {"urgent": 1, "normal": 2}


def test_two_builders_at_once_build_each_month_once(app, admin, soporte, client_user):
    """Two processes' passes at the same moment (web processes without Redis each run one):
    every month ends built once, its rows not doubled, and the report is the live one."""
    for days in (3, 35, 66, 97):
        make_ticket(client_user, soporte, created_at=utcnow() - timedelta(days=days))
    db.session.commit()
    barrier, built = threading.Barrier(2), []

    def build() -> None:
        with app.app_context():
            barrier.wait(10)
            built.append(cache.refresh())
            db.session.remove()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(built) == 2
    with app.test_request_context():
        months = dict(db.session.execute(select(ReportMonth.month, ReportMonth.tickets)).all())
        assert sum(months.values()) == 4
        stored = dict(
            db.session.execute(
                select(ReportCubeRow.month, func.sum(ReportCubeRow.tickets)).group_by(
                    ReportCubeRow.month
                )
            ).all()
        )
        assert stored == {month: n for month, n in months.items() if n}
        f, base, _t, _fields = service.selection(admin, "")
        cached = cache.usable(f, admin, "UTC")
        assert cached is not None
        fast = aggregate.build(base, "(none)", "UTC", cached=cached)
        assert fast.total.tickets == 4


def test_a_write_between_the_months_listed_and_the_report_is_counted_as_it_is(
    app, admin, soporte, client_user
):
    """cache.usable lists the built months; whether each is still fresh is judged by the
    report's own statement. A write committed in between (on PostgreSQL, a new statement
    sees it) makes its month counted live: the report equals the live one of that moment."""
    start = datetime(2026, 5, 1, tzinfo=UTC)
    made = [make_ticket(client_user, soporte, created_at=start + timedelta(days=d)) for d in (1, 2)]
    db.session.commit()
    _build_cache(app)
    with app.test_request_context():
        f, base, _t, _fields = service.selection(admin, "")
        cached = cache.usable(f, admin, "UTC")
        assert cached is not None and "2026-05" in cached.months
        with db.engine.begin() as other:  # another request, committed meanwhile
            other.execute(
                update(Ticket).where(Ticket.id == made[0].id).values(priority=Priority.URGENT)
            )
        fast = aggregate.build(base, "(none)", "UTC", cached=cached)
        live = aggregate.build(base, "(none)", "UTC")
        assert fast.counts["priority"] == live.counts["priority"]
        assert sum(fast.counts["priority"].values()) == 2


def test_every_column_the_report_reads_marks_its_month_when_written(app, soporte, client_user):
    """The triggers of migration 0024 watch what the cube reads (models.REPORT_COLUMNS, the
    filing time, a rating's ticket, closure and stars): a column added to the report and
    forgotten by the triggers would leave a cached month stale. Each is written bare here."""
    ticket = make_ticket(client_user, soporte, created_at=datetime(2026, 3, 10, tzinfo=UTC))
    db.session.add(Feedback(ticket_id=ticket.id, closure=1, rating=3, author_id=client_user.id))
    db.session.commit()
    tickets_table, feedback_table = Ticket.__table__, Feedback.__table__
    written = [
        (tickets_table, column, tickets_table.c.id == ticket.id)
        for column in ("created_at", *REPORT_COLUMNS)
        if column != "id"
    ] + [
        (feedback_table, column, feedback_table.c.ticket_id == ticket.id)
        for column in ("ticket_id", "closure", "rating")
    ]
    for table, column, where in written:
        db.session.execute(delete(ReportChange))
        db.session.execute(update(table).where(where).values({column: table.c[column]}))
        months = set(db.session.scalars(select(ReportChange.month)))  # a mark or two
        assert months == {"2026-03"}, column
    db.session.rollback()
