"""Time the reports page (its figures grouped in the database) over HTTP.

Usage:
  .venv/bin/python bench/reports.py --db sqlite|postgresql --tickets 100000 [--path …|--url …]
      [--runs 10] [--reference]

Uses the database of bench/generate.py (generated first when missing or of another size).
Signs in through the login form as the administrator (and as a collaborator, with reports
enabled for collaborators), makes 2 warm-up requests and --runs measured ones per scenario:
the last year of history, the whole history (two years), the year narrowed to closed tickets
of one area, and the collaborator's year (their areas only). The monthly cache is built first,
as the worker keeps it (reports/cache.py; the time it took is printed); after the scenarios the
year's page is timed again with one month changed since (counted live until the worker's next
pass) and with no cache at all. Prints one JSON line for the environment, then one per
scenario: name, p50_ms, p95_ms, max_ms, cpu_p50_ms (this
process's CPU time: with SQLite the database's work too, a figure a busy machine disturbs
less than the wall clock), tickets, db.
--reference also times the year's page with its figures computed row by row, as before
(tests/reports_reference.py), for comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import delete, func, select, update  # noqa: E402

from bench import dashboard  # noqa: E402
from bench import generate as gen  # noqa: E402
from bench.dashboard import emit, fail, log, login, percentile  # noqa: E402
from servicedesk.extensions import db  # noqa: E402
from servicedesk.models import Area, ReportCubeRow, ReportMonth, Ticket  # noqa: E402
from servicedesk.reports import aggregate, data, service  # noqa: E402
from servicedesk.reports import cache as report_cache  # noqa: E402
from tests import reports_reference  # noqa: E402

WARMUP = 2
TOTAL_RE = re.compile(r'data-testid="totals".*?<div class="fs-3">([^<]*)</div>', re.S)


def year_query(app: Flask) -> tuple[str, str]:
    """The last year of the generated history as report filters, and one area's id."""
    with app.app_context():
        last = db.session.scalar(select(func.max(Ticket.created_at)))
        area_id = db.session.scalar(select(Area.id).where(Area.name == gen.AREAS[0]))
    end = last.date()
    start = end - timedelta(days=364)
    return f"created_from={start.isoformat()}&created_to={end.isoformat()}", str(area_id)


def time_url(client: Any, url: str, runs: int) -> tuple[list[float], list[float], str]:
    """Warm-up requests, then `runs` timed ones: wall and CPU ms of this process (SQLite's
    work included, PostgreSQL's not), and the last page's total of tickets."""
    samples, cpu, total = [], [], ""
    for i in range(WARMUP + runs):
        started, used = time.perf_counter(), time.process_time()
        response = client.get(url)
        page = response.get_data(as_text=True)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            fail(url, f"answered {response.status_code}")
        if i >= WARMUP:
            samples.append(elapsed)
            cpu.append((time.process_time() - used) * 1000)
        found = TOTAL_RE.search(page)
        total = found.group(1).strip() if found else ""
    return samples, cpu, total


def row_by_row(base: Any, zone: str, cached: Any = None) -> Any:
    """The report as the page built it before aggregate.py: every ticket read into Python
    (the service-level compliance, which that page did not have, from the grouped pass)."""
    rows = data.export_rows(base, custom=False)
    levels = aggregate.build_both(base, service._("(none)"), zone)[1]
    return reports_reference.build(rows, service._("(none)"), zone), levels


def _touch() -> None:
    """Write one ticket filed half a year ago (as a reply would): its month is stale."""
    last = db.session.scalar(select(func.max(Ticket.created_at)))
    ticket_id = db.session.scalar(
        select(Ticket.id).where(Ticket.created_at <= last - timedelta(days=180)).limit(1)
    )
    db.session.execute(
        update(Ticket).where(Ticket.id == ticket_id).values(priority=Ticket.priority)
    )
    db.session.commit()


def _forget() -> None:
    """Empty the monthly cache."""
    db.session.execute(delete(ReportCubeRow))
    db.session.execute(delete(ReportMonth))
    db.session.commit()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--path", help=f"SQLite file (default {gen.DEFAULT_PATH})")
    parser.add_argument("--url", help=f"PostgreSQL URL (default {gen.DEFAULT_URL})")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7, help="seed if it has to generate")
    parser.add_argument("--reference", action="store_true", help="time the row-by-row way too")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare the database, time each scenario, print."""
    args = parse_args(argv)
    url = gen.database_url(args.db, args.path, args.url)
    dashboard.ensure_database(args, url)
    emit(
        {
            "name": "environment",
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "postgresql": dashboard.postgres_version(args.url),
            "cpus": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "db": args.db,
            "tickets": args.tickets,
            "runs": args.runs,
            "commit": dashboard.git_commit(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    )
    with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
        app = gen.make_app(url, instance)
        app.config["REPORTS_FOR_COLLABORATORS"] = True
        year, area_id = year_query(app)
        admin = login(app, f"admin0@{gen.DOMAIN}")
        colab = login(app, f"colab0@{gen.DOMAIN}")
        with app.app_context():  # as the worker does: build the monthly cache
            started = time.perf_counter()
            months = report_cache.refresh(limit=10_000, rebuild=True)
            emit(
                {
                    "name": "cache_build",
                    "months": len(months),
                    "seconds": round(time.perf_counter() - started, 2),
                    "db": args.db,
                }
            )
        scenarios = [
            ("report_year", admin, f"/informes/?{year}"),
            ("report_all", admin, "/informes/"),
            ("report_year_closed_area", admin, f"/informes/?{year}&status=closed&area={area_id}"),
            ("report_year_collaborator", colab, f"/informes/?{year}"),
        ]
        for name, client, page_url in scenarios:
            log(name)
            samples, cpu, total = time_url(client, page_url, args.runs)
            emit(
                {
                    "name": name,
                    "p50_ms": round(statistics.median(samples), 1),
                    "p95_ms": round(percentile(samples, 0.95), 1),
                    "max_ms": round(max(samples), 1),
                    "cpu_p50_ms": round(statistics.median(cpu), 1),
                    "tickets": total,
                    "url": page_url,
                    "db": args.db,
                }
            )
        # A ticket of a month in the middle of the year written (its month counted live
        # until the worker's next pass), then no cache at all: every month counted live.
        for name, change in (("report_year_month_changed", _touch), ("report_year_live", _forget)):
            with app.app_context():
                change()
            log(name)
            samples, cpu, total = time_url(admin, scenarios[0][2], args.runs)
            emit(
                {
                    "name": name,
                    "p50_ms": round(statistics.median(samples), 1),
                    "p95_ms": round(percentile(samples, 0.95), 1),
                    "cpu_p50_ms": round(statistics.median(cpu), 1),
                    "tickets": total,
                    "db": args.db,
                }
            )
        if args.reference:  # the same page, its figures computed the old way
            log("row-by-row reference")
            service.build_report = row_by_row  # type: ignore[assignment]
            samples, cpu, total = time_url(admin, scenarios[0][2], max(1, min(args.runs, 3)))
            emit(
                {
                    "name": "report_year_row_by_row",
                    "p50_ms": round(statistics.median(samples), 1),
                    "max_ms": round(max(samples), 1),
                    "cpu_p50_ms": round(statistics.median(cpu), 1),
                    "tickets": total,
                    "db": args.db,
                }
            )
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
