"""The report's grouped queries (reports/aggregate.py) equal the row-by-row computation
(tests/reports_reference.py) on 10,000 varied tickets: every figure, several filters and zones."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from servicedesk.extensions import db
from servicedesk.models import Area, Channel, Feedback, Priority, Role, Status, Ticket, elapsed_us
from servicedesk.reports import aggregate, charts, data, service
from tests import reports_reference
from tests.conftest import login, make_user
from tests.factories import make_type

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
    """The whole page (figures, charts, tables) over HTTP, both ways, is the same HTML."""
    client = app.test_client()
    login(client, admin.email)
    url = "/informes/?created_from=2025-12-01&created_to=2026-11-30"
    fast = client.get(url)
    assert fast.status_code == 200

    def row_by_row(base, zone):
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
