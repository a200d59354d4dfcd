"""Time the Excel export and the period report PDF against a generated database.

Usage:
  .venv/bin/python bench/exports.py --db sqlite --tickets 100000 [--path …] [--runs 3]
  .venv/bin/python bench/exports.py --db postgresql --tickets 100000 [--url …] [--runs 3]

Reuses (or generates) the database like bench/dashboard.py. Each Excel measurement runs in
its own child process (this script with the hidden --child flag), which reports its wall
time and its peak memory: ru_maxrss at the end minus ru_maxrss just before the timed part.
The PDF follows the app's flow: above EXPORT_INLINE_MAX tickets it confirms, waits for the
background export and downloads it ("mode": "background" in its line).
Prints JSON lines: environment, excel_export, openpyxl_floor, excel_ratio, pdf_report_1000.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench import dashboard  # noqa: E402
from bench import generate as gen  # noqa: E402
from servicedesk.extensions import db  # noqa: E402
from servicedesk.models import User  # noqa: E402

OUT = ROOT / "bench" / "out"
ADMIN = f"admin0@{gen.DOMAIN}"
EXPORT_TYPE = gen.FILTER_TYPE  # "soporte": the largest type, with 5 custom fields
RATIO_TARGET = 1.5
PEAK_TARGET_MB = 200.0
BACKGROUND_TIMEOUT = 600  # seconds a background PDF may take before the bench gives up
POLL_SECONDS = 0.05

log = dashboard.log
emit = dashboard.emit


def max_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ children


def child_excel(url: str, query: str) -> dict[str, Any]:
    """The real export: excel_to() as the administrator, to a file in bench/out/."""
    from servicedesk.reports.service import excel_to

    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"export-{os.getpid()}.xlsx"
    with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
        app = gen.make_app(url, instance)
        with app.app_context(), app.test_request_context():
            admin = db.session.scalar(select(User).where(User.email == ADMIN))
            if admin is None:
                raise SystemExit(f"no user {ADMIN}")
            baseline = max_rss_mb()
            started = time.perf_counter()
            with target.open("wb") as out:
                written = excel_to(out, admin, query, "es")
            seconds = time.perf_counter() - started
            peak = max_rss_mb()
            db.engine.dispose()
    size = target.stat().st_size
    target.unlink()
    return {
        "tickets": written,
        "seconds": seconds,
        "baseline_mb": baseline,
        "peak_rss_mb": peak,
        "peak_mb": peak - baseline,
        "bytes": size,
    }


def child_floor(url: str, query: str) -> dict[str, Any]:
    """A bare openpyxl write-only loop over the same cell values, fetched beforehand."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell

    from servicedesk.reports import data, excel
    from servicedesk.reports.service import selection

    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"floor-{os.getpid()}.xlsx"
    with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
        app = gen.make_app(url, instance)
        with app.app_context(), app.test_request_context():
            admin = db.session.scalar(select(User).where(User.email == ADMIN))
            if admin is None:
                raise SystemExit(f"no user {ADMIN}")
            # Not timed: the same query, the same conversion to cell values as the export.
            _f, base, _t, fields = selection(admin, query)
            scratch = Workbook(write_only=True).create_sheet("scratch")
            header = excel.headers(fields, "es", "UTC")
            convert = excel.row_converter(scratch, fields, excel.Labels("es"))
            values = [
                [c.value if isinstance(c, Cell) else c for c in convert(row)]
                for row in data.export_rows(base, custom=bool(fields))
            ]
            db.engine.dispose()
    columns = len(header)
    baseline = max_rss_mb()
    started = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Tickets")
    sheet.append(header)
    for line in values:
        sheet.append(line)
    with target.open("wb") as out:
        book.save(out)
    seconds = time.perf_counter() - started
    peak = max_rss_mb()
    size = target.stat().st_size
    target.unlink()
    return {
        "tickets": len(values),
        "columns": columns,
        "seconds": seconds,
        "baseline_mb": baseline,
        "peak_rss_mb": peak,
        "peak_mb": peak - baseline,
        "bytes": size,
    }


def run_child(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and read its JSON line."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--db",
        args.db,
        "--tickets",
        str(args.tickets),
        "--query",
        args.query,
    ]
    if args.path:
        command += ["--path", args.path]
    if args.url:
        command += ["--url", args.url]
    done = subprocess.run(  # noqa: S603
        command,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        dashboard.fail(kind, f"child exited with {done.returncode}", stderr=done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(name: str, results: list[dict[str, Any]], kind: str, query: str) -> dict[str, Any]:
    """Median time, largest peak over the runs."""
    last = results[-1]
    record = {
        "name": name,
        "tickets": last["tickets"],
        "seconds": round(statistics.median(r["seconds"] for r in results), 2),
        "peak_mb": round(max(r["peak_mb"] for r in results), 1),
        "bytes": last["bytes"],
        "baseline_mb": round(max(r["baseline_mb"] for r in results), 1),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results), 1),
        "all_seconds": [round(r["seconds"], 2) for r in results],
        "db": kind,
        "query": query,
    }
    if "columns" in last:
        record["columns"] = last["columns"]
    return record


# ------------------------------------------------------------------ PDF


def _csrf(page: str) -> str:
    """The csrf_token of a page's form (the confirmation page of a large export)."""
    tag = dashboard.CSRF_RE.search(page)
    token = dashboard.VALUE_RE.search(tag.group(0)) if tag else None
    if not token:
        dashboard.fail("pdf_report_1000", "no csrf_token on the export confirmation page")
    return token.group(1)


def _background_pdf(client: Any, url: str, page: str, kind: str) -> bytes:
    """Press "Prepare the export", follow the job's progress until done, download the file."""
    answer = client.post(url, data={"csrf_token": _csrf(page)})
    if answer.status_code != 302:
        dashboard.fail("pdf_report_1000", f"POST {url} answered {answer.status_code}", db=kind)
    status_url = answer.headers["Location"]
    deadline = time.monotonic() + BACKGROUND_TIMEOUT
    while True:
        progress = client.get(f"{status_url}.json")
        state = progress.get_json(silent=True) or {}
        if progress.status_code != 200 or state.get("status") == "failed":
            dashboard.fail(
                "pdf_report_1000",
                "the background export failed",
                db=kind,
                status=progress.status_code,
                state=state,
            )
        if state.get("status") == "done":
            break
        if time.monotonic() > deadline:
            dashboard.fail(
                "pdf_report_1000", f"not done after {BACKGROUND_TIMEOUT} s", db=kind, state=state
            )
        # The page's own script polls too; 50 ms adds at most that much to the timing.
        time.sleep(POLL_SECONDS)
    download = client.get(state["download"])
    if download.status_code != 200:
        dashboard.fail("pdf_report_1000", f"download answered {download.status_code}", db=kind)
    return download.get_data()


def pdf_report(url: str, kind: str, runs: int) -> dict[str, Any]:
    """The period report PDF as the administrator, following the app's flow; count its pages."""
    from pypdf import PdfReader

    target = "/informes/pdf?view=historial"
    with tempfile.TemporaryDirectory(prefix="servicedesk-bench-") as instance:
        app = gen.make_app(url, instance)
        app.config["REDIS_URL"] = ""  # no rq worker runs for the bench: a thread does the job
        client = dashboard.login(app, ADMIN)
        times: list[float] = []
        body = b""
        mode = "inline"
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(target)
            if response.status_code != 200:
                dashboard.fail("pdf_report_1000", f"status {response.status_code}", db=kind)
            if response.mimetype == "application/pdf":
                body = response.get_data()
            else:
                # Above EXPORT_INLINE_MAX the app asks first; the timing then covers the
                # confirmation, the background job until done, and the download.
                mode = "background"
                body = _background_pdf(client, target, response.get_data(as_text=True), kind)
            times.append(time.perf_counter() - started)
        with app.app_context():
            inline_max = app.config["EXPORT_INLINE_MAX"]
            db.engine.dispose()
    if not body.startswith(b"%PDF-"):
        dashboard.fail("pdf_report_1000", "the answer is not a PDF", db=kind, start=body[:40].hex())
    pages = len(PdfReader(io.BytesIO(body)).pages)
    return {
        "name": "pdf_report_1000",
        "seconds": round(statistics.median(times), 2),
        "pages": pages,
        "bytes": len(body),
        "all_seconds": [round(t, 2) for t in times],
        "mode": mode,
        "inline_max": inline_max,
        "db": kind,
        "url": target,
    }


# ------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--path", help=f"SQLite file (default {gen.DEFAULT_PATH})")
    parser.add_argument("--url", help=f"PostgreSQL URL (default {gen.DEFAULT_URL})")
    parser.add_argument(
        "--runs", type=int, default=3, help="child processes per Excel measurement; PDF requests"
    )
    parser.add_argument(
        "--query",
        default=f"view=historial&type={EXPORT_TYPE}",
        help="the export's filters (query string)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed if it has to generate")
    parser.add_argument("--child", choices=("excel", "floor"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare the database, measure in child processes, print."""
    args = parse_args(argv)
    url = gen.database_url(args.db, args.path, args.url)
    if args.child:
        worker = child_excel if args.child == "excel" else child_floor
        print(json.dumps(worker(url, args.query)), flush=True)
        return 0
    dashboard.ensure_database(args, url)
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
            "runs": args.runs,
            "commit": dashboard.git_commit(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    )
    excel_runs, floor_runs = [], []
    for i in range(args.runs):  # interleaved, so drift in machine load hits both alike
        log(f"run {i + 1}/{args.runs}: excel")
        excel_runs.append(run_child("excel", args))
        log(f"run {i + 1}/{args.runs}: floor")
        floor_runs.append(run_child("floor", args))
    excel_line = summarise("excel_export", excel_runs, args.db, args.query)
    floor_line = summarise("openpyxl_floor", floor_runs, args.db, args.query)
    emit(excel_line)
    emit(floor_line)
    ratio = excel_line["seconds"] / floor_line["seconds"]
    emit(
        {
            "name": "excel_ratio",
            "ratio": round(ratio, 2),
            "db": args.db,
            "ratio_target": RATIO_TARGET,
            "peak_target_mb": PEAK_TARGET_MB,
            "ratio_met": ratio <= RATIO_TARGET,
            "peak_met": excel_line["peak_mb"] < PEAK_TARGET_MB,
        }
    )
    log("pdf")
    emit(pdf_report(url, args.db, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
