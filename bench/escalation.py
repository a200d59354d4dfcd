"""Time the service-level escalation pass against a generated database.

Usage:
  .venv/bin/python bench/escalation.py --db sqlite --tickets 100000 [--path …] [--runs 10]
  .venv/bin/python bench/escalation.py --db postgresql --tickets 100000 [--url …] [--runs 10]

Reuses the database like bench/dashboard.py (or generates it, running bench/generate.py),
then works on a scratch copy (SQLite: <file>.escalation.db; PostgreSQL: <name>_esc made
WITH TEMPLATE), dropped at the end. In the copy every open ticket gets a running clock
under one default policy (first response 4 h, resolution 2 days, warning at 75 %), as if
earlier passes had run: what was due is already recorded, so each ticket's
`sla_escalate_at` is its next threshold (whatever SLA columns the generator wrote are
cleared first). Two scenarios, each --runs times:
  idle  a pass when nothing is due: the cost paid every minute on a quiet desk
  due   --due tickets (fresh ones each run) just crossed their first-response warning;
        the pass writes their clocks, events and the warnings' mail (outbox rows)
Mail: no Redis; the in-process courier is replaced by one that keeps the ids (no SMTP).
Prints JSON lines: environment, the selection's plan (index used?), one per scenario
(p50/p95 ms, statements, tickets checked, warnings).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import bindparam, event, select, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench import create as bench_create  # noqa: E402
from bench import dashboard  # noqa: E402
from bench import generate as gen  # noqa: E402
from bench.dashboard import emit, log, percentile  # noqa: E402
from servicedesk.extensions import db  # noqa: E402
from servicedesk.models import (  # noqa: E402
    ACTIVE_STATUSES,
    Area,
    SlaCalendar,
    SlaPolicy,
    SlaPolicyVersion,
    Status,
    Ticket,
)
from servicedesk.sla import clock, escalation, service  # noqa: E402

RESPONSE_MINUTES, RESOLUTION_MINUTES = 240, 2880
TICKETS = Ticket.__table__


def scratch_url(url: str) -> str:
    """The URL of the copy the passes run on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{Path(parsed.database or '').with_suffix('.escalation.db')}"
    return parsed.set(database=f"{parsed.database}_esc").render_as_string(hide_password=False)


def ensure_database(args: argparse.Namespace, url: str) -> None:
    """Reuse the database when it holds the wanted tickets; else generate it.

    The generator runs in a process of its own: run in this one, its last session kept a
    connection to the new database, and PostgreSQL refuses to copy a database in use.
    """
    found = dashboard.stored_tickets(url)
    if found == args.tickets and dashboard.upgraded(url):
        log(f"reusing {make_url(url).render_as_string(hide_password=True)} ({found} tickets)")
        return
    log(f"generating {args.tickets} tickets (found {found})")
    command = [sys.executable, str(ROOT / "bench" / "generate.py"), "--db", args.db]
    command += ["--tickets", str(args.tickets), "--seed", str(args.seed)]
    command += ["--path", args.path] if args.path else []
    command += ["--url", args.url] if args.url else []
    subprocess.run(command, check=True, stdout=sys.stderr)  # noqa: S603 - our own script


def copy_database(url: str, copy: str, tries: int = 60) -> None:
    """Copy the database; on PostgreSQL wait out a session still on the source (the
    generator's last connection, autovacuum after the load), which CREATE … TEMPLATE refuses."""
    for attempt in range(tries):
        try:
            bench_create.copy_database(url, copy)
            return
        except OperationalError as exc:
            if "being accessed by other users" not in str(exc) or attempt == tries - 1:
                raise
            log("the source database is in use; trying again in 1 s")
            time.sleep(1)


def _write(rows: list[dict[str, Any]]) -> None:
    """Write many tickets' clocks at once (executemany by id)."""
    if not rows:
        return
    names = [key for key in rows[0] if key != "b_id"]
    db.session.execute(
        update(TICKETS)
        .where(TICKETS.c.id == bindparam("b_id"))
        .values({name: bindparam("b_" + name) for name in names}),
        [{"b_id": row["b_id"], **{"b_" + n: row[n] for n in names}} for row in rows],
        execution_options={"synchronize_session": False},
    )


def give_clocks(now: datetime) -> tuple[int, int]:
    """A default policy, and a running clock on every open ticket as left by earlier passes.

    Returns the policy version's id and the number of open tickets with a clock.
    """
    # The generator's own policies (if any) stay; no ticket of the copy keeps them.
    policy = SlaPolicy(name="Bench escalation", is_default=True, position=0, current_version=1)
    version = SlaPolicyVersion(
        policy=policy,
        number=1,
        first_response_minutes=RESPONSE_MINUTES,
        resolution_minutes=RESOLUTION_MINUTES,
        warn_percent=75,
    )
    db.session.add_all([policy, version])
    db.session.flush()
    db.session.execute(update(TICKETS).values(sla_escalate_at=None, sla_version_id=None))
    # Around the clock: the generator's calendars (if any) would put "due now" off to the
    # next working hour whenever the bench runs at night.
    db.session.execute(update(Area).values(calendar_id=None))
    db.session.execute(update(SlaCalendar).values(is_default=False))
    targets = service.targets_of(version)
    calendars: dict[int | None, Any] = {}
    rows = []
    for row in db.session.execute(
        select(TICKETS.c.id, TICKETS.c.created_at, TICKETS.c.area_id, TICKETS.c.status).where(
            TICKETS.c.status.in_(ACTIVE_STATUSES)
        )
    ):
        if row.area_id not in calendars:
            calendars[row.area_id] = service.calendar_for(row.area_id)
        subject = clock.Ticket(row.created_at, calendars[row.area_id], targets)
        clocks = clock.start(subject, now)
        if row.status == Status.WAITING:
            clocks = clock.pause(clocks, subject, now)
        clocks, _sent = clock.notify(clocks, subject, now)  # what earlier passes sent
        rows.append({"b_id": row.id, "sla_version_id": version.id, **clocks.columns()})
    _write(rows)
    db.session.commit()
    return version.id, len(rows)


def make_due(version_id: int, ids: list[int], now: datetime) -> None:
    """These tickets were filed just over 75 % of their first-response target ago."""
    version = db.session.get(SlaPolicyVersion, version_id)
    assert version is not None
    targets = service.targets_of(version)
    created = now - timedelta(minutes=RESPONSE_MINUTES * 0.75 + 1)
    rows = []
    for row in db.session.execute(
        select(TICKETS.c.id, TICKETS.c.area_id).where(TICKETS.c.id.in_(ids))
    ):
        subject = clock.Ticket(created, service.calendar_for(row.area_id), targets)
        clocks = replace(clock.start(subject, now), notified=0)
        rows.append(
            {"b_id": row.id, "created_at": created, "sla_version_id": version_id} | clocks.columns()
        )
    _write(rows)
    db.session.commit()


def selection_plan(app: Flask) -> dict[str, Any]:
    """The selection's plan on this database, and whether it reads the escalation index."""
    with app.app_context():
        compiled = escalation.due(datetime.now(UTC)).compile(db.engine)
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "postgresql":
                rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
                plan = [r[0] for r in rows]
            else:
                params = tuple(compiled.params[name] for name in compiled.positiontup or ())
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)
                plan = [r[-1] for r in rows]
    text = "\n".join(plan)
    return {
        "name": "selection_plan",
        "uses_index": "ix_tickets_sla_escalate" in text,
        "full_scan": "Seq Scan on tickets" in text or "SCAN tickets" in text,
        "plan": plan,
    }


def run_scenario(
    app: Flask, name: str, runs: int, due: int, pool: list[int], db_kind: str, version_id: int
) -> None:
    """Time `runs` passes; for "due", first make `due` fresh tickets cross their warning."""
    samples: list[float] = []
    statements: list[int] = []
    checked: list[int] = []
    warnings: list[int] = []
    counted = [0]

    def count(*_args: Any) -> None:
        counted[0] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for run in range(runs):
                if name == "due":
                    make_due(version_id, pool[run * due : (run + 1) * due], datetime.now(UTC))
                counted[0] = 0
                started = time.perf_counter()
                tally = escalation.run_pass()
                samples.append((time.perf_counter() - started) * 1000)
                statements.append(counted[0])
                checked.append(tally.checked)
                warnings.append(tally.warnings)
                db.session.remove()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    emit(
        {
            "name": name,
            "db": db_kind,
            "runs": runs,
            "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(percentile(samples, 0.95), 1),
            "max_ms": round(max(samples), 1),
            "per_ticket_ms": round(statistics.median(samples) / due, 2) if name == "due" else None,
            "statements": int(statistics.median(statements)),
            "checked": int(statistics.median(checked)),
            "warnings": int(statistics.median(warnings)),
        }
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--path", help=f"SQLite file (default {gen.DEFAULT_PATH})")
    parser.add_argument("--url", help=f"PostgreSQL URL (default {gen.DEFAULT_URL})")
    parser.add_argument("--runs", type=int, default=10, help="measured passes per scenario")
    parser.add_argument("--due", type=int, default=50, help="tickets due in each 'due' pass")
    parser.add_argument("--seed", type=int, default=7, help="seed if it has to generate")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare the copy, time the passes, drop the copy, print."""
    args = parse_args(argv)
    url = gen.database_url(args.db, args.path, args.url)
    ensure_database(args, url)
    copy = scratch_url(url)
    log(f"copying to {make_url(copy).render_as_string(hide_password=True)}")
    copy_database(url, copy)
    try:
        with bench_create.parked_app(copy, MAIL_CONSOLE=False) as (app, _parked):
            with app.app_context():
                started = time.perf_counter()
                version_id, clocked = give_clocks(datetime.now(UTC))
                setup_s = time.perf_counter() - started
                # Open and not waiting: the ones "due" runs make cross (fresh clocks each).
                pool = list(
                    db.session.scalars(
                        select(TICKETS.c.id)
                        .where(
                            TICKETS.c.status.in_(ACTIVE_STATUSES),
                            TICKETS.c.status != Status.WAITING,
                        )
                        .order_by(TICKETS.c.id)
                    )
                )
                ahead = db.session.scalar(
                    select(db.func.count()).where(TICKETS.c.sla_escalate_at.is_not(None))
                )
                if args.db == "postgresql":
                    with db.engine.connect() as conn:
                        conn.exec_driver_sql("ANALYZE tickets")
                        conn.commit()
                db.session.remove()
            due = max(1, min(args.due, len(pool) // max(args.runs, 1)))
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
                    "open_with_clock": clocked,
                    "with_escalate_at": ahead,
                    "due_per_pass": due,
                    "setup_s": round(setup_s, 1),
                    "mail": "parked: no Redis, courier replaced (no delivery)",
                    "commit": dashboard.git_commit(),
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                }
            )
            emit(selection_plan(app))
            run_scenario(app, "idle", args.runs, due, pool, args.db, version_id)
            run_scenario(app, "due", args.runs, due, pool, args.db, version_id)
    finally:
        bench_create.drop_database(copy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
