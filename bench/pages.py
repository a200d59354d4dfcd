"""Time every page each role reaches by following the app's own links, at 100,000 tickets.

Usage:
  .venv/bin/python bench/pages.py --db sqlite|postgresql [--path …|--url …] [--runs 5]

Uses the database of bench/generate.py (run bench/dashboard.py or generate.py first) and the
test suite's crawler (tests/crawl.py, a development dependency): signs in as an
administrator, a collaborator and the client with the most tickets, follows every link
from their home pages, and times one URL per endpoint (the first found, usually the one
without parameters). Prints one JSON line per (role, endpoint): p50_ms, max_ms, status, url.
bench/dashboard.py covers the Tablero's filters in depth; this finds any other slow page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench import generate as gen  # noqa: E402
from bench.dashboard import login  # noqa: E402
from servicedesk.extensions import db  # noqa: E402
from servicedesk.models import Ticket, User  # noqa: E402
from tests.crawl import crawl  # noqa: E402


def busiest_client(app: Any) -> str:
    """The e-mail of the client who filed the most tickets."""
    with app.app_context():
        requester = db.session.execute(
            select(Ticket.requester_id)
            .group_by(Ticket.requester_id)
            .order_by(func.count().desc(), Ticket.requester_id)
            .limit(1)
        ).scalar_one()
        return db.session.get(User, requester).email


def time_page(client: Any, url: str, runs: int) -> tuple[float, float, int]:
    """One warm-up request, then `runs` timed ones: median, slowest, status."""
    samples, status = [], 0
    for i in range(runs + 1):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        response.close()
        status = response.status_code
        if i:
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples), status


def main(argv: list[str] | None = None) -> int:
    """Crawl as each role and print a line per page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--path", help=f"SQLite file (default {gen.DEFAULT_PATH})")
    parser.add_argument("--url", help=f"PostgreSQL URL (default {gen.DEFAULT_URL})")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
        app = gen.make_app(gen.database_url(args.db, args.path, args.url), instance)
        people = {
            "admin": f"admin0@{gen.DOMAIN}",
            "collaborator": f"colab0@{gen.DOMAIN}",
            "client": busiest_client(app),
        }
        for role, email in people.items():
            client = login(app, email)
            site = crawl(app, client, by_parameters=False)
            for (endpoint, _names), url in sorted(site.pages.items()):
                p50, slowest, status = time_page(client, url, args.runs)
                print(
                    json.dumps(
                        {
                            "role": role,
                            "endpoint": endpoint,
                            "p50_ms": round(p50, 1),
                            "max_ms": round(slowest, 1),
                            "status": status,
                            "url": url,
                            "db": args.db,
                        }
                    ),
                    flush=True,
                )
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
