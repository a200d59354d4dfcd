"""Exports that run as jobs: on rq's export queue, or in a thread when there is no Redis.

Whoever works on an export keeps its heartbeat fresh; an export whose heartbeat is older than
EXPORT_STALE_SECONDS lost its worker (killed, restarted, out of memory) and is marked failed,
its partial file removed, so its owner can retry it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import ColumnElement, Update, select, update
from sqlalchemy.orm.attributes import set_committed_value

from .. import queues
from ..extensions import db, running_app
from ..models import Export, User, utcnow
from ..queues import QueueName
from .excel import scratch_in
from .service import excel_to, pdf_to

ACTIVE = ("pending", "running")
WORKER_STOPPED = "worker-stopped"  # the error of an export whose worker died; shown translated
JOB_TIMEOUT = 3600  # seconds rq lets one export run before killing it


class Superseded(Exception):
    """This run's export was marked failed or retried while it worked: stop writing."""


def export_dir() -> Path:
    """Folder for finished exports (outside anything served)."""
    path = Path(current_app.config["ATTACHMENTS_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _work(name: str) -> Path:
    """A run's folder: the file being written, and openpyxl's scratch (as big as the sheet)."""
    return export_dir() / f"{name}.work"


def _remove_files(name: str | None) -> None:
    """Delete what a run left under its name: its work folder, or an unrecorded result."""
    if name:
        shutil.rmtree(_work(name), ignore_errors=True)
        (export_dir() / name).unlink(missing_ok=True)


# ---------------------------------------------------------------- staleness


def is_stale(export: Export) -> bool:
    """Tell whether the process working on an export stopped beating."""
    return (
        export.status in ACTIVE
        and export.heartbeat_at is not None
        and export.heartbeat_at < queues.stale_before()
    )


def fail_stale(*where: ColumnElement[bool]) -> int:
    """Mark exports whose worker died failed and remove their partial files; count them.

    Queued exports have no heartbeat until a worker takes them, so a long queue is never
    taken for a dead worker.
    """
    limit = queues.stale_before()
    dead = db.session.execute(
        select(Export.id, Export.attempt, Export.stored_name).where(
            Export.status.in_(ACTIVE), Export.heartbeat_at < limit, *where
        )
    ).all()
    marked = 0
    for export_id, attempt, name in dead:
        # Conditional: the worker may have beaten (or a retry started) since the select.
        result = db.session.execute(
            update(Export)
            .where(
                Export.id == export_id,
                Export.attempt == attempt,
                Export.status.in_(ACTIVE),
                Export.heartbeat_at < limit,
            )
            .values(status="failed", error=WORKER_STOPPED, stored_name=None)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            _remove_files(name)
            marked += 1
    db.session.flush()
    return marked


def as_seen(export: Export) -> Export:
    """Show a dead worker's export as failed, in memory only (pages never write).

    The row itself is marked, and its partial file removed, by the next sweep (any export
    started, the worker's relay loop: sweep()) or by the retry button.
    """
    if is_stale(export):
        set_committed_value(export, "status", "failed")
        set_committed_value(export, "error", WORKER_STOPPED)
    return export


def settle(export: Export) -> None:
    """Show an export as it really is: failed, when its worker is gone."""
    if is_stale(export) and fail_stale(Export.id == export.id):
        db.session.refresh(export)


def retry(export: Export, total_rows: int) -> bool:
    """Put a failed export back to pending as a new attempt; False if it is not failed."""
    result = db.session.execute(
        update(Export)
        .where(
            Export.id == export.id,
            Export.status == "failed",
            Export.attempt == export.attempt,
        )
        .values(
            status="pending",
            attempt=Export.attempt + 1,
            done_rows=0,
            total_rows=total_rows,
            error=None,
            stored_name=None,
            heartbeat_at=None,
            expires_at=None,
        )
    )
    db.session.flush()
    db.session.refresh(export)
    return bool(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- heartbeat


def _this_run(export_id: int, attempt: int) -> Update:
    """An update of the export only while this run (its attempt) is the one running it."""
    return update(Export).where(
        Export.id == export_id, Export.attempt == attempt, Export.status == "running"
    )


def _beat(export_id: int, attempt: int, done: int | None = None) -> bool:
    """Record that this run is alive (and how far it got); False if the row moved on."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if done is not None:
        values["done_rows"] = done
    # Its own connection, so the export's streaming query is not disturbed.
    with db.engine.begin() as conn:
        result = conn.execute(_this_run(export_id, attempt).values(**values))
    return bool(result.rowcount)


class Heartbeat:
    """Beat from a thread while a run works, so the run's death shows within seconds.

    Rows written beat too (with the progress); the thread covers the long stretches without
    rows: a PDF's layout, the Excel file's compression.
    """

    def __init__(self, app: Flask, export_id: int, attempt: int) -> None:
        self.app, self.export_id, self.attempt = app, export_id, attempt
        self.every = max(0.25, app.config["EXPORT_STALE_SECONDS"] / 4)
        self.lost = threading.Event()  # the row is no longer this run's
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"export-beat-{export_id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        """Beat every quarter of the staleness until stopped or superseded."""
        with self.app.app_context():
            while not self._stop.wait(self.every):
                try:
                    alive = _beat(self.export_id, self.attempt)
                except Exception:  # noqa: BLE001 - a database hiccup: the next beat retries
                    self.app.logger.warning(
                        "export %s: heartbeat not recorded", self.export_id, exc_info=True
                    )
                    continue
                if not alive:
                    self.lost.set()
                    return

    def progress(self, done: int) -> None:
        """Record rows written; stop the run if its export was failed or retried meanwhile."""
        if self.lost.is_set() or not _beat(self.export_id, self.attempt, done):
            raise Superseded(f"export {self.export_id} attempt {self.attempt} was superseded")


# ---------------------------------------------------------------- running


def _claim(export_id: int, attempt: int, name: str) -> bool:
    """Take a pending export for this run (only one run takes it)."""
    result = db.session.execute(
        update(Export)
        .where(
            Export.id == export_id,
            Export.status == "pending",
            Export.attempt == attempt,
        )
        .values(status="running", heartbeat_at=utcnow(), stored_name=name, done_rows=0)
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _finish(export_id: int, attempt: int, **values: Any) -> bool:
    """Record a run's outcome, unless its export moved on (marked failed, retried)."""
    result = db.session.execute(_this_run(export_id, attempt).values(**values))
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _write(export: Export, name: str, heart: Heartbeat) -> None:
    """Write the export in its work folder, then move the complete file to its name."""
    user = db.session.get(User, export.user_id)
    if user is None:  # deleting a user deletes their exports; never a run without its owner
        raise Superseded
    write = pdf_to if export.kind == "pdf" else excel_to
    work = _work(name)
    work.mkdir()
    with force_locale(export.locale), scratch_in(work), (work / "export").open("wb") as out:
        write(out, user, export.query, export.locale, heart.progress)
        out.flush()
        os.fsync(out.fileno())  # on disk before it is offered
    os.replace(work / "export", export_dir() / name)
    shutil.rmtree(work)


def run_export(export_id: int, attempt: int | None = None) -> None:
    """Build one export's file and mark it done (or failed, with the reason).

    The file is written in NAME.work/ and moved to NAME when complete, so a download never
    sees half a file, and a dead run's leftovers are known by name.
    """
    export = db.session.get(Export, export_id)
    if export is None or export.status != "pending" or attempt not in (None, export.attempt):
        return  # a job of an earlier attempt, or one another worker took
    attempt, name = export.attempt, secrets.token_hex(16)
    if not _claim(export_id, attempt, name):
        return
    app: Flask = running_app()
    try:
        with Heartbeat(app, export_id, attempt) as heart:
            _write(export, name, heart)
    except Exception as exc:  # noqa: BLE001 - the person sees the failure, the log the cause
        _remove_files(name)
        db.session.rollback()
        if not isinstance(exc, Superseded):
            current_app.logger.exception("export %s failed", export_id)
        _finish(export_id, attempt, status="failed", error=str(exc)[:500], stored_name=None)
        return
    if not _finish(export_id, attempt, status="done", expires_at=utcnow() + timedelta(days=1)):
        _remove_files(name)  # seen dead (a long pause) and failed meanwhile: not offered


# ---------------------------------------------------------------- starting


def _job_id(export_id: int, attempt: int) -> str:
    """The rq job of one attempt: known, so the sweep can tell whether Redis still holds it."""
    return f"export-{export_id}-{attempt}"


def _enqueue(export_id: int, attempt: int) -> None:
    """Put one attempt on the export queue (raises RedisError/OSError when Redis is away)."""
    queues.queue(QueueName.EXPORTS).enqueue(
        "servicedesk.jobs.export_job",
        export_id,
        attempt,
        job_id=_job_id(export_id, attempt),
        job_timeout=JOB_TIMEOUT,
    )


def sweep() -> int:
    """Fail exports whose worker died; queue again those a Redis restart lost. Count both.

    A pending export without a heartbeat waits on the queue; when Redis no longer holds its
    job (restarted without persistence), nobody would ever take it. Queuing it twice is
    harmless: only one run can claim an attempt.
    """
    app = running_app()
    count = fail_stale()
    db.session.commit()
    if not app.config.get("REDIS_URL"):
        return count
    waiting = db.session.execute(
        select(Export.id, Export.attempt).where(
            Export.status == "pending", Export.heartbeat_at.is_(None)
        )
    ).all()
    for export_id, attempt in waiting:
        if queues.job_lost(_job_id(export_id, attempt)):
            _enqueue(export_id, attempt)
            count += 1
    return count


def start(app: Flask, export: Export) -> None:
    """Queue the export on rq's export queue, or run it in a thread of this process."""
    export_id, attempt = export.id, export.attempt

    def beat() -> None:
        with db.engine.begin() as conn:
            conn.execute(
                update(Export)
                .where(
                    Export.id == export_id, Export.status == "pending", Export.attempt == attempt
                )
                .values(heartbeat_at=utcnow())
            )

    queues.on_rq_or_in_thread(
        app,
        f"export-{export_id}",
        lambda: _enqueue(export_id, attempt),
        beat,
        lambda: run_export(export_id, attempt),
    )
