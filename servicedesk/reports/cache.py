"""The reports' monthly cache: each UTC month's cube of settled tickets, kept by the worker.

A year's report grouped every ticket of the year in the database on each view. Most of a
year does not change from one view to the next, so the worker keeps, per UTC month of
filing, the cube's rows (reports/aggregate.py) of the tickets whose clocks no longer run
(whether a running clock is late depends on the moment of the view; those tickets are
always counted live). Triggers on tickets and feedback (migration 0024) write the month of
every ticket written into report_changes, in the writer's own transaction: a month with a
change waiting is not read from the cache but counted live, until the worker builds it
again and deletes the changes it counted. So a report is exactly the live computation,
whichever months come from the cache (tests/test_report_figures.py compares them).

Only the whole history of a period (no filter but the dates, read by an administrator) is
answered from the cache, for the organisation's bucket length (aggregate.bucket_minutes of
its zone); any other report is counted live. Who builds it: `flask worker` every
REPORT_CACHE_SECONDS (a thread beside the outbox relay), a thread of each web process
without Redis, and `flask report-cache` (`--rebuild` starts from nothing). A page never
writes it (GET requests only read).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from ..db_setup import write_transactions
from ..extensions import db
from ..models import ReportChange, ReportCubeRow, ReportMonth, SlaPhase, Ticket, User, utcnow
from ..notifications import worker
from ..tickets.filters import Filters
from ..zones import day_end, day_start, organisation_zone, zone_of
from . import aggregate

TICKER = "report-cache"
MONTHS_PER_PASS = 24  # months built per pass: the first passes over a long history take turns
# A report's filters that the cache cannot answer (any of them set: the report is live).
_NARROWING = (
    "statuses",
    "type_key",
    "area_id",
    "priorities",
    "assignee",
    "requester_id",
    "channel",
    "updated_from",
    "updated_to",
    "overdue",
    "rating",
    "sla_states",
    "q",
    "custom",
)


def month_of(moment: datetime) -> str:
    """The 'YYYY-MM' of a UTC moment (as the triggers write it)."""
    return f"{moment.year:04d}-{moment.month:02d}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """A month's first moment and the next month's, UTC."""
    year, number = int(month[:4]), int(month[5:7])
    start = datetime(year, number, 1, tzinfo=UTC)
    after = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, after


def _months_between(first: datetime, last: datetime) -> list[str]:
    """Every month from the one of `first` to the one of `last`."""
    found, month = [], month_of(first)
    while month <= month_of(last):
        found.append(month)
        month = month_of(month_bounds(month)[1])
    return found


def covers(f: Filters, user: User) -> bool:
    """Whether a report's selection is what the cache holds: the history of a period."""
    return (
        user.is_admin
        and f.view == "historial"
        and not any(getattr(f, name) not in (None, "", [], {}, False) for name in _NARROWING)
    )


def usable(f: Filters, user: User, zone: str) -> aggregate.Cached | None:
    """The cached months a report of these filters may read (None: all counted live).

    The months built for the reader's bucket length that lie wholly inside the period;
    which of them have no change waiting is decided by the report's own statement, in its
    snapshot (aggregate.Cached). `zone` is the one the report's days are in.
    """
    minutes = aggregate.bucket_minutes(zone)
    if not covers(f, user) or minutes != aggregate.bucket_minutes(organisation_zone()):
        return None
    period = zone_of(user)  # the filters' days are the reader's own
    start = day_start(f.created_from, period) if f.created_from else None
    end = day_end(f.created_to, period) if f.created_to else None
    months = []
    built = select(ReportMonth.month).where(ReportMonth.minutes == minutes)
    for month in db.session.scalars(built):
        first, after = month_bounds(month)
        if (start is None or start <= first) and (end is None or after <= end):
            months.append(month)
    return aggregate.Cached(tuple(sorted(months)), minutes) if months else None


def _build(month: str, minutes: int) -> bool:
    """Count one month's settled tickets into its rows, in one transaction; False when
    another process had built it meanwhile."""
    if month in _fresh(minutes, [month]):
        db.session.rollback()
        return False
    first, after = month_bounds(month)
    settled = select(Ticket.id).where(
        Ticket.created_at >= first,
        Ticket.created_at < after,
        Ticket.sla_phase != SlaPhase.RUNNING,
    )
    rows = aggregate.cube(settled, aggregate.dialect_name(), minutes, utcnow())
    db.session.execute(delete(ReportCubeRow).where(ReportCubeRow.month == month))
    db.session.execute(delete(ReportMonth).where(ReportMonth.month == month))
    names = [field.name for field in fields(aggregate.Cube)]
    if rows:
        db.session.execute(
            insert(ReportCubeRow),
            [
                {"month": month, "minutes": minutes, **{n: getattr(r, n) for n in names}}
                for r in rows
            ],
        )
    count = sum(row.tickets for row in rows)
    db.session.add(ReportMonth(month=month, minutes=minutes, tickets=count, built_at=utcnow()))
    # The changes this transaction has seen, and only those: SQLite's writer is alone
    # (BEGIN IMMEDIATE); PostgreSQL's snapshot (REPEATABLE READ) hides the later ones.
    db.session.execute(delete(ReportChange).where(ReportChange.month == month))
    db.session.commit()
    return True


def _fresh(minutes: int, months: list[str] | None = None) -> set[str]:
    """The months built for `minutes` with no change waiting (of these, or all)."""
    waiting = exists().where(ReportChange.month == ReportMonth.month)
    query = select(ReportMonth.month).where(ReportMonth.minutes == minutes, ~waiting)
    if months is not None:
        query = query.where(ReportMonth.month.in_(months))
    return set(db.session.scalars(query))


def _to_build(minutes: int) -> list[str]:
    """The months of the history not built for `minutes`, or changed since, latest first."""
    span = select(func.min(Ticket.created_at), func.max(Ticket.created_at))
    first, last = db.session.execute(span).one()
    if first is None:
        return []
    fresh = _fresh(minutes)
    return [m for m in reversed(_months_between(first, last)) if m not in fresh]


def refresh(limit: int = MONTHS_PER_PASS, rebuild: bool = False) -> list[str]:
    """Build the months not built or changed since (at most `limit`); the months built."""
    minutes = aggregate.bucket_minutes(organisation_zone())
    with write_transactions():
        if rebuild:
            db.session.execute(delete(ReportCubeRow))
            db.session.execute(delete(ReportMonth))
            db.session.commit()
        # Rows of another bucket length (the organisation's zone changed) are of no use.
        db.session.execute(delete(ReportCubeRow).where(ReportCubeRow.minutes != minutes))
        db.session.execute(delete(ReportMonth).where(ReportMonth.minutes != minutes))
        db.session.commit()
        months = _to_build(minutes)[:limit]
        db.session.rollback()
        built = []
        for month in months:
            _snapshot()
            try:
                if _build(month, minutes):
                    built.append(month)
            except SQLAlchemyError:
                # Another process built it at the same time (PostgreSQL refuses the second
                # writer of a snapshot): the month is counted live until the next pass.
                db.session.rollback()
                current_app.logger.warning("Report cache: month %s not built", month)
    return built


def _snapshot() -> None:
    """Begin the next transaction with one snapshot for all it reads (PostgreSQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def run_pass() -> list[str]:
    """One pass of the worker's timer."""
    return refresh()


def built(months: Iterable[str]) -> dict[str, int]:
    """The settled tickets counted in each of these cached months (for the command's output)."""
    counted = select(ReportMonth.month, ReportMonth.tickets)
    return dict(db.session.execute(counted.where(ReportMonth.month.in_(list(months)))).all())


def stop(app: Flask) -> None:
    """Stop this process's ticker, if it runs (tests, shutdown)."""
    worker.stop_ticker(app, TICKER)


def init_app(app: Flask) -> None:
    """Each web process of the embedded mode starts its ticker with its first request."""
    worker.tick_without_redis(app, TICKER, "REPORT_CACHE_SECONDS", run_pass)
