"""Time the Tablero's pages against a generated database (SQLite or PostgreSQL).

Usage:
  .venv/bin/python bench/dashboard.py --db sqlite --tickets 100000 [--path …] [--runs 30]
  .venv/bin/python bench/dashboard.py --db postgresql --tickets 100000 [--url …] [--runs 30]

Generates the database first (bench/generate.py) when it is missing or holds a different
number of tickets. Logs in through the real login form with Flask's test client, then for
each scenario makes 3 warm-up requests and --runs measured ones. Prints one JSON line for
the environment, then one per scenario: name, p50_ms, p95_ms, queries, rows, db.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, event, func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench import generate as gen  # noqa: E402
from servicedesk.extensions import db  # noqa: E402
from servicedesk.models import Comment, SlaPolicy, Ticket, TicketType  # noqa: E402

WARMUP = 3
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE_RE = re.compile(r'value="([^"]*)"')


def log(message: str) -> None:
    """Write a progress line to stderr."""
    print(message, file=sys.stderr, flush=True)


def emit(record: dict[str, Any]) -> None:
    """Print one JSON result line."""
    print(json.dumps(record, ensure_ascii=False), flush=True)


def fail(name: str, message: str, **extra: Any) -> None:
    """Print an error line and stop with status 1."""
    emit({"name": name, "error": message, **extra})
    sys.exit(1)


# ------------------------------------------------------------------ database


def stored_tickets(url: str) -> int | None:
    """Count the tickets of an existing benchmark database; None when there is none.

    A database generated before tickets had service levels (no policy) counts as none.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not conn.execute(select(func.count()).select_from(SlaPolicy.__table__)).scalar():
                return None
            return conn.execute(select(func.count()).select_from(Ticket.__table__)).scalar()
    except OperationalError:  # no such database, or no tickets table
        return None
    except Exception:  # noqa: BLE001 - any other broken state: regenerate
        return None
    finally:
        engine.dispose()


def upgraded(url: str) -> bool:
    """Bring a reused database to the code's latest migration; False if that fails."""
    from flask_migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
        app = gen.make_app(url, instance)
        with app.app_context():
            try:
                upgrade()
            except Exception as exc:  # noqa: BLE001 - e.g. a revision this code does not know
                log(f"cannot upgrade the existing database ({exc}); regenerating")
                return False
            finally:
                db.engine.dispose()
    return True


def ensure_database(args: argparse.Namespace, url: str) -> None:
    """Generate the database unless it exists with the wanted ticket count."""
    found = stored_tickets(url)
    if found == args.tickets and upgraded(url):
        log(f"reusing {make_url(url).render_as_string(hide_password=True)} ({found} tickets)")
        return
    log(f"generating {args.tickets} tickets (found {found})")
    summary = gen.generate(args.db, args.tickets, args.path, args.url, args.seed)
    log(json.dumps(summary))


def postgres_version(url: str | None) -> str | None:
    """Ask the PostgreSQL server for its version (None when unreachable)."""
    target = make_url(gen.database_url("postgresql", None, url)).set(database="postgres")
    try:
        engine = create_engine(target, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
        engine.dispose()
        return str(version)
    except Exception:  # noqa: BLE001 - the version is informative only
        return None


def git_commit() -> str | None:
    """Return the checked-out commit, for the record."""
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments, no user input
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):  # not a checkout (e.g. a git archive)
        return os.environ.get("BENCH_COMMIT")


# ------------------------------------------------------------------ scenarios


def login(app: Flask, email: str) -> FlaskClient:
    """Sign in through the real login form: GET, take the CSRF token, POST."""
    client = app.test_client()
    page = client.get("/login")
    if page.status_code != 200:
        fail("login", f"GET /login answered {page.status_code}", email=email)
    tag = CSRF_RE.search(page.get_data(as_text=True))
    token = VALUE_RE.search(tag.group(0)) if tag else None
    if not token:
        fail("login", "no csrf_token in the login form", email=email)
    answer = client.post(
        "/login", data={"csrf_token": token.group(1), "email": email, "password": gen.PASSWORD}
    )
    if answer.status_code != 302:
        fail("login", f"POST /login answered {answer.status_code} (wrong password?)", email=email)
    return client


class TokenClient:
    """A test client that sends a bearer token (for the API scenario)."""

    def __init__(self, app: Flask, email: str) -> None:
        from servicedesk.models import ApiToken, User

        # The limit is still counted on every request; it just must not stop the runs.
        app.config["API_RATE_LIMIT"] = 1_000_000
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            _token, self.secret = ApiToken.issue(user, "bench")
            db.session.commit()
        self.client = app.test_client()

    def get(self, url: str) -> Any:
        """GET with the token."""
        return self.client.get(url, headers={"Authorization": f"Bearer {self.secret}"})


def choose_targets(app: Flask) -> dict[str, Any]:
    """Find a select custom field with an existing option, and a ticket with comments."""
    with app.app_context():
        ticket_type = db.session.scalar(
            select(TicketType).where(TicketType.key == gen.FILTER_TYPE)
        ) or db.session.scalar(select(TicketType).order_by(TicketType.id))
        if ticket_type is None:
            fail("setup", "no ticket types in the database")
        schema = ticket_type.versions[-1].schema
        field, value = gen.FILTER_FIELD, gen.FILTER_VALUE
        options = [o["const"] for o in schema["properties"].get(field, {}).get("oneOf", [])]
        if value not in options:  # another database: take its first select field
            field, sub = next((k, s) for k, s in schema["properties"].items() if "oneOf" in s)
            value = sub["oneOf"][0]["const"]
        busiest = (
            select(Comment.ticket_id)
            .group_by(Comment.ticket_id)
            .order_by(func.count().desc(), Comment.ticket_id)
            .limit(1)
        )
        number = db.session.scalar(
            select(Ticket.number).where(Ticket.id == busiest.scalar_subquery())
        )
        if number is None:
            fail("setup", "no ticket has comments")
    return {"type": ticket_type.key, "field": field, "value": value, "number": number}


def scenarios(targets: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, who, URL) of each measured page."""

    def tablero(**params: Any) -> str:
        return "/tablero/?" + urlencode(params)

    return [
        ("active", "colab", "/tablero/"),
        ("mine", "colab", tablero(view="mios")),
        ("unassigned", "colab", tablero(view="sin_asignar")),
        (
            "type_custom_field",
            "colab",
            tablero(
                view="historial",
                type=targets["type"],
                **{f"cf.{targets['field']}": targets["value"]},
            ),
        ),
        (
            "dates_priority",
            "colab",
            tablero(
                view="historial",
                created_from="2025-01-01",
                created_to="2025-03-31",
                priority="high",
            ),
        ),
        ("search", "colab", tablero(view="historial", q=gen.SEARCH_WORD)),
        ("history_last_page", "colab", tablero(view="historial", last=1)),
        # Service levels (issue #18): the two views by their index ranges, and next due first.
        ("overdue", "colab", tablero(view="vencidos")),
        ("at_risk", "colab", tablero(view="en_riesgo")),
        ("active_by_due", "colab", tablero(sort="due")),
        ("overdue_by_due_last_page", "colab", tablero(view="vencidos", sort="due", last=1)),
        ("workload", "admin", "/tablero/carga"),
        ("ticket_page", "colab", f"/tablero/tickets/{targets['number']}"),
        # The same list through the REST API (bearer token, JSON, 50 per page).
        ("api_tickets", "api", "/api/v1/tickets?view=activos&limit=50"),
        ("api_overdue_by_due", "api", "/api/v1/tickets?view=vencidos&sort=due&limit=50"),
    ]


def count_rows(name: str, html: str) -> int:
    """Ticket rows on a list page; 1 for the ticket page; table rows for the workload."""
    if name == "ticket_page":
        return 1
    if name.startswith("api_"):
        return len(json.loads(html)["items"])
    if name == "workload":
        marked = len(re.findall(r"data-workload-(?:person|area)=", html))
        return marked or max(0, html.count("<tr") - html.count("<thead"))
    return len(re.findall(r"data-ticket-row\b", html))


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# Tables that grow with the tickets; a full scan of one of them is what the indexes prevent.
GROWING = ("tickets", "comments", "ticket_events", "attachments", "feedback", "ticket_search")
SQLITE_FULL_SCAN = re.compile(r"^SCAN (\w+)$")
POSTGRES_FULL_SCAN = re.compile(r"Seq Scan on (\w+)")


def full_scans(app: Flask, client: Any, url: str) -> list[str]:
    """Growing tables read whole by one request's SELECTs, from the database's own plans."""
    found: list[str] = []

    def explain(conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            return  # EXPLAIN itself passes through here too
        if conn.dialect.name == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            tables = [m.group(1) for row in plan if (m := SQLITE_FULL_SCAN.match(row[3]))]
        else:
            plan = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            tables = [m.group(1) for row in plan for m in POSTGRES_FULL_SCAN.finditer(row[0])]
        found.extend(t for t in tables if t in GROWING)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", explain)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    return sorted(set(found))


def measure(
    app: Flask, clients: dict[str, Any], kind: str, runs: int, targets: dict[str, Any]
) -> None:
    """Run every scenario and print its line."""
    statements = [0]
    sql_ms = [0.0]

    def count(conn: Any, *_args: Any) -> None:
        statements[0] += 1
        conn.info["bench_started"] = time.perf_counter()

    def timed(conn: Any, *_args: Any) -> None:
        sql_ms[0] += (time.perf_counter() - conn.info.pop("bench_started")) * 1000

    # Plans first, with their own listener, so the EXPLAINs are neither counted nor timed.
    scans = {name: full_scans(app, clients[who], url) for name, who, url in scenarios(targets)}
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "after_cursor_execute", timed)
    try:
        for name, who, url in scenarios(targets):
            client = clients[who]
            times: list[float] = []
            queries: list[int] = []
            in_sql: list[float] = []
            rows = 0
            for i in range(WARMUP + runs):
                statements[0], sql_ms[0] = 0, 0.0
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    fail(name, f"status {response.status_code}", url=url, db=kind)
                if i >= WARMUP:
                    times.append(elapsed)
                    queries.append(statements[0])
                    in_sql.append(sql_ms[0])
                    rows = count_rows(name, response.get_data(as_text=True))
            emit(
                {
                    "name": name,
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(percentile(times, 0.95), 1),
                    "queries": max(queries),
                    "rows": rows,
                    "db": kind,
                    "sql_p50_ms": round(statistics.median(in_sql), 1),
                    "full_scans": scans[name],
                    "url": url,
                }
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "after_cursor_execute", timed)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--path", help=f"SQLite file (default {gen.DEFAULT_PATH})")
    parser.add_argument("--url", help=f"PostgreSQL URL (default {gen.DEFAULT_URL})")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7, help="seed if it has to generate")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare the database, log in, measure, print."""
    args = parse_args(argv)
    url = gen.database_url(args.db, args.path, args.url)
    ensure_database(args, url)
    emit(
        {
            "name": "environment",
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres_version(args.url),
            "cpus": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "platform": platform.platform(),
            "db": args.db,
            "tickets": args.tickets,
            "runs": args.runs,
            "commit": git_commit(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    )
    with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
        app = gen.make_app(url, instance)
        targets = choose_targets(app)
        clients = {
            "colab": login(app, f"colab0@{gen.DOMAIN}"),
            "admin": login(app, f"admin0@{gen.DOMAIN}"),
            "api": TokenClient(app, f"colab0@{gen.DOMAIN}"),
        }
        measure(app, clients, args.db, args.runs, targets)
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
