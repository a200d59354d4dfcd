"""Exports that run as jobs: rq when Redis is configured, a thread in the embedded mode."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import update

from ..extensions import db
from ..models import Export, User, utcnow


def export_dir() -> Path:
    """Folder for finished exports (outside anything served)."""
    path = Path(current_app.config["ATTACHMENTS_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress(export_id: int, done: int) -> None:
    """Record progress on its own connection, so the streaming query is not disturbed."""
    with db.engine.begin() as conn:
        conn.execute(update(Export).where(Export.id == export_id).values(done_rows=done))


def run_export(export_id: int) -> None:
    """Build one export's file and mark it done (or failed, with the reason)."""
    from flask_babel import force_locale

    from .service import excel_to, pdf_to

    export = db.session.get(Export, export_id)
    if export is None or export.status != "pending":
        return
    export.status = "running"
    db.session.commit()
    name = secrets.token_hex(16)
    try:
        user = db.session.get(User, export.user_id)
        write = pdf_to if export.kind == "pdf" else excel_to
        with force_locale(export.locale), (export_dir() / name).open("wb") as out:
            write(out, user, export.query, export.locale, lambda n: _progress(export_id, n))
    except Exception as exc:  # noqa: BLE001 - the person sees the failure, the log the cause
        db.session.rollback()
        current_app.logger.exception("export %s failed", export_id)
        db.session.execute(update(Export).where(Export.id == export_id).values(
            status="failed", error=str(exc)[:500]))
        db.session.commit()
        return
    db.session.execute(update(Export).where(Export.id == export_id).values(
        status="done", stored_name=name, expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()


def start(app: Flask, export_id: int) -> None:
    """Queue the export on rq, or run it in a background thread without Redis."""
    if app.config.get("REDIS_URL"):
        from redis import Redis
        from rq import Queue

        Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"])
              ).enqueue("servicedesk.reports.jobs.export_job", export_id, job_timeout=3600)
        return

    def work() -> None:
        with app.app_context():
            run_export(export_id)
            db.session.remove()

    threading.Thread(target=work, name=f"export-{export_id}", daemon=True).start()


def export_job(export_id: int) -> None:
    """rq entry point."""
    from flask import has_app_context

    from ..notifications.jobs import _get_app

    if has_app_context():
        run_export(export_id)
        return
    with _get_app().app_context():
        run_export(export_id)
