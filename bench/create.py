"""Time sequential ticket creates through the REST API and the client web form.

Usage:
  .venv/bin/python bench/create.py --db sqlite --tickets 100000 [--path …] [--creates 300]
  .venv/bin/python bench/create.py --db postgresql --tickets 100000 [--url …] [--creates 300]

Reuses (or generates) the database like bench/dashboard.py, then measures on a scratch copy
of it (SQLite: <file>.create.db; PostgreSQL: <name>_run made WITH TEMPLATE), dropped at the
end, so the N tickets stay N for the other scripts and for the next run. Four scenarios,
each 3 warm-up creates and --creates measured ones, one after the other, as client0:
  api        POST /api/v1/tickets, JSON, bearer token issued on /cuenta/tokens
  api_photo  the same as multipart, with one small photo in the attachments part
  web        POST /mesa-de-ayuda/nueva/soporte ("Agregar petición"), CSRF token of the form
  web_photo  the same with one small photo in the attachments field
Mail: no Redis and no relay; the in-process courier is replaced by one that only keeps the
ids handed to it, so no SMTP (or console) delivery runs or is counted, only the hand-off.
Prints JSON lines: environment, one per scenario (creates/s, p50/p95 ms and where the time
goes), one "statements" line per scenario (the statements of its last create), and with
--profile the top functions of a cProfile run of each scenario.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy import create_engine, event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench import dashboard, photos  # noqa: E402
from bench import generate as gen  # noqa: E402
from servicedesk import storage  # noqa: E402
from servicedesk.extensions import db  # noqa: E402
from servicedesk.notifications import courier, dispatch, fanout  # noqa: E402
from servicedesk.tickets import search  # noqa: E402

CLIENT = f"client0@{gen.DOMAIN}"
TYPE = gen.FILTER_TYPE  # "soporte": 5 custom fields; its area has ~12 members to notify
WARMUP = 3
SCENARIOS = ("api", "api_photo", "web", "web_photo")
SECRET_RE = re.compile(r'id="secret" value="(sd_[A-Za-z0-9_-]+)"')
DATA = {
    "ubicacion": "Torre B, departamento 1204",
    "categoria": "ascensor",
    "urgente": True,
    "fecha_falla": "2026-11-30",
    "piso": 12,
}
# What bench/README.md calls the buckets, and the app function each one wraps.
BUCKETS = {
    # servicedesk/tickets/search.py: the index write (a new ticket is indexed from memory by
    # the flush hook, which calls _write; reindex, which reads tickets back, is for edits)
    "search": (search, "_write"),
    # The notice row for the area's mail; the mail itself is written after the response
    # (fanout.expand, timed apart: the "after_response" line).
    "notify": (fanout, "announce"),
    "handoff": (dispatch, "dispatch_committed"),  # ids to the (parked) courier after commit
    "store": (storage, "save"),  # the photo written to the attachment store
    "commit": (Session, "commit"),  # the ORM commit (flush + COMMIT)
}

log = dashboard.log
emit = dashboard.emit


# ------------------------------------------------------------------ photo


def small_photo() -> tuple[bytes, str, str]:
    """A real 320×240 JPEG (~20 KB) with what a phone writes: upright, camera, GPS position.

    Upright, so it takes the common way: checked, then stored with its EXIF cut out.
    """
    image = Image.new("RGB", (320, 240))
    image.putdata([(x % 256, y % 256, (x * y) % 256) for y in range(240) for x in range(320)])
    exif = photos.phone_exif(1)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue(), "foto.jpg", "image/jpeg"


# ------------------------------------------------------------------ scratch database


def scratch_url(url: str) -> str:
    """The URL of the copy the creates go to."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{Path(parsed.database or '').with_suffix('.create.db')}"
    return parsed.set(database=f"{parsed.database}_run").render_as_string(hide_password=False)


def copy_database(url: str, copy: str) -> None:
    """Copy the benchmark database (sqlite3 backup; PostgreSQL CREATE DATABASE … TEMPLATE)."""
    source, target = make_url(url), make_url(copy)
    if source.get_backend_name() == "sqlite":
        gen.recreate(copy)
        with (
            sqlite3.connect(source.database or "") as src,
            sqlite3.connect(target.database or "") as dst,
        ):
            src.backup(dst)
        return
    name = target.database or ""
    if not gen.DB_NAME_RE.match(name):
        raise SystemExit(f"refusing to create {name!r}: not a servicedesk_bench* name")
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
    admin.dispose()


def drop_database(copy: str) -> None:
    """Remove the scratch copy (only the one this script made)."""
    target = make_url(copy)
    if target.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


# ------------------------------------------------------------------ measuring


class ParkedCourier:
    """Stands in for the in-process mail courier: keeps what is handed over, does nothing."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.notices: list[int] = []

    def submit(self, ids: Any, notices: Any = ()) -> None:
        """Take the ids and notices, as the real courier does before its thread works."""
        self.ids.extend(ids)
        self.notices.extend(notices)


@contextmanager
def parked_app(copy: str, **settings: Any) -> Iterator[tuple[Flask, ParkedCourier]]:
    """The embedded app on a scratch copy: no Redis, none of its timers, the courier parked.

    No relay pass, escalation, mailbox or report-cache timer runs beside what is measured.
    outbox.dispatch_committed looks courier.for_app up at call time: the hand-off is real,
    the delivery (SMTP, or the console without a server) never starts.
    """
    parked = ParkedCourier()
    real_for_app = courier.for_app
    courier.for_app = lambda _app: parked  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
            app = gen.make_app(
                copy,
                instance,
                REDIS_URL="",
                MAIL_RELAY_SECONDS=0,
                SLA_ESCALATE_SECONDS=0,
                MAIL_FETCH_SECONDS=0,
                **settings,
            )
            try:
                yield app, parked
            finally:
                with app.app_context():
                    db.engine.dispose()
    finally:
        courier.for_app = real_for_app  # type: ignore[assignment]


class Meter:
    """SQL statements and time, and time in the wrapped app functions, for one create."""

    def __init__(self) -> None:
        self.active: list[str] = []
        self.sample: Counter[str] = Counter()
        self.statements: list[tuple[str, float]] = []
        self._originals: list[tuple[Any, str, Any]] = []

    def reset(self) -> None:
        """Start counting a new create."""
        self.sample = Counter()
        self.statements = []

    def before(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """Count a statement (for each bucket it runs in) and start its clock."""
        self.sample["queries"] += 1
        for name in set(self.active):
            self.sample[f"{name}_queries"] += 1
        conn.info["bench_statement"] = " ".join(statement.split())[:90]
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn: Any, *_args: Any) -> None:
        """Add the statement's time to the total and to the buckets it ran in."""
        elapsed = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        self.statements.append((conn.info.pop("bench_statement"), elapsed))
        self.sample["sql_ms"] += elapsed
        for name in set(self.active):
            self.sample[f"{name}_sql_ms"] += elapsed

    def wrap(self, name: str, owner: Any, attribute: str) -> None:
        """Replace owner.attribute by a timed call (the app looks it up at call time)."""
        original = getattr(owner, attribute)
        meter = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            meter.active.append(name)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                meter.active.pop()
                if name not in meter.active:  # a nested call is already inside the outer time
                    meter.sample[f"{name}_ms"] += (time.perf_counter() - started) * 1000
                meter.sample[f"{name}_calls"] += 1

        self._originals.append((owner, attribute, original))
        setattr(owner, attribute, timed)

    @contextmanager
    def installed(self, app: Flask) -> Iterator[None]:
        """Listen to the engine and wrap the buckets' functions while measuring."""
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        for name, (owner, attribute) in BUCKETS.items():
            self.wrap(name, owner, attribute)
        try:
            yield
        finally:
            for owner, attribute, original in reversed(self._originals):
                setattr(owner, attribute, original)
            self._originals.clear()
            event.remove(engine, "before_cursor_execute", self.before)
            event.remove(engine, "after_cursor_execute", self.after)


# ------------------------------------------------------------------ the four paths


def issue_token(app: Flask, email: str) -> str:
    """Sign in and create a token on /cuenta/tokens, as a person does (tests/api/conftest.py)."""
    web = dashboard.login(app, email)
    page = web.get("/cuenta/tokens").get_data(as_text=True)
    answer = web.post("/cuenta/tokens", data={"csrf_token": form_token(page), "name": "bench"})
    found = SECRET_RE.search(answer.get_data(as_text=True))
    if answer.status_code != 200 or not found:
        dashboard.fail("token", f"POST /cuenta/tokens answered {answer.status_code}")
    return found.group(1)


def form_token(page: str) -> str:
    """The csrf_token of a page's form."""
    tag = dashboard.CSRF_RE.search(page)
    token = dashboard.VALUE_RE.search(tag.group(0)) if tag else None
    if not token:
        dashboard.fail("csrf", "no csrf_token on the page")
    return token.group(1)


def subject(i: int) -> str:
    """A different real subject for each create (the search index gets real text)."""
    subjects = gen.TYPES[0].subjects
    return f"{subjects[i % len(subjects)]} ({i})"


def creator(app: Flask, scenario: str, photo: tuple[bytes, str, str]) -> Callable[[int], Any]:
    """A function that files ticket i through the scenario's path and returns the response."""
    body, filename, mimetype = photo
    description = " ".join(gen.PHRASES[:3])
    if scenario.startswith("api"):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {issue_token(app, CLIENT)}"}

        def api(i: int) -> Any:
            payload = {
                "type": TYPE,
                "subject": subject(i),
                "description": description,
                "data": DATA,
            }
            if scenario == "api":
                return client.post("/api/v1/tickets", json=payload, headers=headers)
            return client.post(
                "/api/v1/tickets",
                headers=headers,
                data={
                    "ticket": json.dumps(payload),
                    "attachments": (io.BytesIO(body), filename, mimetype),
                },
            )

        return api

    client = dashboard.login(app, CLIENT)
    url = f"/mesa-de-ayuda/nueva/{TYPE}"
    # One token for the session (WTF_CSRF_TIME_LIMIT is None); a browser would GET the form
    # before each filing, which is a page load, not part of the create.
    token = form_token(client.get(url).get_data(as_text=True))

    def web(i: int) -> Any:
        form: dict[str, Any] = {
            "csrf_token": token,
            "subject": subject(i),
            "description": description,
            "cf-ubicacion": DATA["ubicacion"],
            "cf-categoria": DATA["categoria"],
            "cf-urgente": "true",
            "cf-fecha_falla": DATA["fecha_falla"],
            "cf-piso": str(DATA["piso"]),
        }
        if scenario == "web_photo":
            form["attachments"] = (io.BytesIO(body), filename, mimetype)
        return client.post(url, data=form, content_type="multipart/form-data")

    def tidy() -> None:
        """Drop the flash the create left (the browser shows it on the next page; here it
        would pile up in the cookie). Not a create's work: run and timed outside it."""
        with client.session_transaction() as session:
            session.pop("_flashes", None)

    web.tidy = tidy  # type: ignore[attr-defined]
    return web


EXPECTED = {"api": 201, "api_photo": 201, "web": 302, "web_photo": 302}


def run_scenario(
    app: Flask,
    scenario: str,
    creates: int,
    kind: str,
    meter: Meter,
    parked: ParkedCourier,
    photo: tuple[bytes, str, str],
    first: int,
    profile: bool,
) -> int:
    """Warm up, make `creates` timed creates, emit the scenario's lines; return the next i."""
    make = creator(app, scenario, photo)
    tidy: Callable[[], None] | None = getattr(make, "tidy", None)
    tidied = [0.0, 0.0]  # wall and CPU seconds spent tidying, taken out of the loop's
    i = first

    def once() -> tuple[float, dict[str, float]]:
        nonlocal i
        meter.reset()
        handed, announced = len(parked.ids), len(parked.notices)
        started = time.perf_counter()
        answer = make(i)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != EXPECTED[scenario]:
            dashboard.fail(
                scenario,
                f"status {answer.status_code}",
                db=kind,
                body=answer.get_data(as_text=True)[:500],
            )
        i += 1
        sample = dict(meter.sample)
        sample["mails"] = len(parked.ids) - handed
        sample["notices"] = len(parked.notices) - announced
        if tidy is not None:
            wall, cpu = time.perf_counter(), time.process_time()
            tidy()
            tidied[0] += time.perf_counter() - wall
            tidied[1] += time.process_time() - cpu
        return elapsed, sample

    for _ in range(WARMUP):
        once()
    times: list[float] = []
    samples: list[dict[str, float]] = []
    tidied[:] = [0.0, 0.0]
    loop_started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(creates):
        elapsed, sample = once()
        times.append(elapsed)
        samples.append(sample)
    loop_seconds = time.perf_counter() - loop_started - tidied[0]
    cpu_seconds = time.process_time() - cpu_started - tidied[1]

    def mean(key: str) -> float:
        return round(statistics.fmean(s.get(key, 0) for s in samples), 2)

    record: dict[str, Any] = {
        "name": scenario,
        "db": kind,
        "creates": creates,
        "creates_per_s": round(creates / loop_seconds, 1),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(dashboard.percentile(times, 0.95), 1),
        "mean_ms": round(statistics.fmean(times), 1),
        # CPU time of this process per create: what the app (and the test client) spent,
        # whatever else ran on the machine; not the database server's own time.
        "cpu_ms": round(cpu_seconds * 1000 / creates, 2),
        "queries": round(statistics.median(s["queries"] for s in samples)),
        "queries_max": max(s["queries"] for s in samples),
        "sql_ms": mean("sql_ms"),
        "mails": mean("mails"),
        "notices": mean("notices"),
    }
    for name in BUCKETS:
        record[f"{name}_ms"] = mean(f"{name}_ms")
        record[f"{name}_queries"] = mean(f"{name}_queries")
        record[f"{name}_sql_ms"] = mean(f"{name}_sql_ms")
    record["search_calls"] = mean("search_calls")
    # The top-level buckets do not nest in one another: the rest is routing, sign-in,
    # parsing and validation, the ticket and event rows, the response (and the test client).
    top = ("search", "notify", "commit", "handoff", "store")
    record["rest_ms"] = round(record["mean_ms"] - sum(record[f"{b}_ms"] for b in top), 2)
    record["rest_sql_ms"] = round(record["sql_ms"] - sum(record[f"{b}_sql_ms"] for b in top), 2)
    emit(record)
    counts: Counter[str] = Counter()
    spent: Counter[str] = Counter()
    for text, elapsed in meter.statements:
        counts[text] += 1
        spent[text] += elapsed
    emit(
        {
            "name": "statements",
            "scenario": scenario,
            "db": kind,
            "note": "the last measured create: [count, ms, statement]",
            "statements": [[n, round(spent[t], 2), t] for t, n in counts.most_common()],
        }
    )
    expand_after_response(app, scenario, kind, parked)
    if profile:
        profile_scenario(scenario, kind, min(creates, 100), once)
    return i


def expand_after_response(app: Flask, scenario: str, kind: str, parked: ParkedCourier) -> None:
    """Write the parked notices' mail as the worker does after the response; emit its cost.

    Not part of a create's time (the client has its answer by then), but work the machine
    does for each create all the same: the worker's or the courier's share.
    """
    notices, parked.notices = parked.notices, []
    if not notices:
        return
    with app.app_context():
        started, cpu_started = time.perf_counter(), time.process_time()
        mails = sum(len(fanout.expand(notice_id)) for notice_id in notices)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    emit(
        {
            "name": "after_response",
            "scenario": scenario,
            "db": kind,
            "notices": len(notices),
            "mails_per_notice": round(mails / len(notices), 1),
            "expand_ms": round(seconds * 1000 / len(notices), 2),
            "expand_cpu_ms": round(cpu_seconds * 1000 / len(notices), 2),
        }
    )


def profile_scenario(scenario: str, kind: str, creates: int, once: Callable[[], Any]) -> None:
    """Run more creates under cProfile; emit the app's heaviest functions (cumulative)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(creates):
        once()
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    app_code = (str(ROOT / "servicedesk"), str(ROOT / "forms_engine"))
    table = stats.stats  # type: ignore[attr-defined]
    for (path, line, function), (_cc, calls, own, total, _callers) in table.items():
        if path.startswith(app_code):
            rows.append((total, own, calls, f"{Path(path).relative_to(ROOT)}:{line}:{function}"))
    rows.sort(reverse=True)
    emit(
        {
            "name": "profile",
            "scenario": scenario,
            "db": kind,
            "creates": creates,
            "note": "ms per create under cProfile (slower than unprofiled); app code only",
            "cumulative": [
                [
                    round(t * 1000 / creates, 2),
                    round(o * 1000 / creates, 2),
                    round(c / creates, 1),
                    w,
                ]
                for t, o, c, w in rows[:25]
            ],
        }
    )


# ------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--path", help=f"SQLite file (default {gen.DEFAULT_PATH})")
    parser.add_argument("--url", help=f"PostgreSQL URL (default {gen.DEFAULT_URL})")
    parser.add_argument("--creates", type=int, default=300, help="measured creates per path")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated subset of " + ",".join(SCENARIOS),
    )
    parser.add_argument(
        "--profile", action="store_true", help="also run up to 100 creates per path under cProfile"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed if it has to generate")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare the database and its copy, measure each path, drop the copy, print."""
    args = parse_args(argv)
    chosen = [s for s in args.scenarios.split(",") if s]
    if unknown := set(chosen) - set(SCENARIOS):
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    url = gen.database_url(args.db, args.path, args.url)
    dashboard.ensure_database(args, url)
    copy = scratch_url(url)
    log(f"copying to {make_url(copy).render_as_string(hide_password=True)}")
    copy_database(url, copy)
    photo = small_photo()
    emit(
        {
            "name": "environment",
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "postgresql": dashboard.postgres_version(args.url),
            "cpus": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "platform": platform.platform(),
            "db": args.db,
            "tickets": args.tickets,
            "creates": args.creates,
            "photo_bytes": len(photo[0]),
            "photo": photo[1],
            "mail": "parked: no Redis, no relay, courier replaced (no delivery)",
            "commit": dashboard.git_commit(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    )
    try:
        # The rate limit is still counted on every request; it just must not stop the runs.
        with parked_app(copy, API_RATE_LIMIT=1_000_000) as (app, parked):
            meter = Meter()
            i = 1
            for scenario in chosen:
                log(f"{scenario}: {WARMUP} + {args.creates} creates")
                with meter.installed(app):
                    i = run_scenario(
                        app, scenario, args.creates, args.db, meter, parked, photo, i, args.profile
                    )
    finally:
        drop_database(copy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
