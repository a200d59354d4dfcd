"""Reports page, Excel and PDF exports, background export progress and downloads."""

from __future__ import annotations

import io
import tempfile

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..extensions import db, running_app
from ..models import Export, utcnow
from ..tickets.loading import owned_or_404
from ..unit_of_work import commit
from . import bp, data, jobs
from .service import can_report, excel_to, pdf_to, report_page, selection

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = {"xlsx": ("tickets", XLSX), "pdf": ("informe", "application/pdf")}  # file name, type


def _require_reporter() -> None:
    """Only people allowed to see reports get past this point."""
    if not can_report(current_user):
        abort(403)


def _query() -> str:
    """The filters of this request as a query string (kept for links and jobs)."""
    return request.query_string.decode()[:2000]


@bp.get("/")
@login_required
def index() -> Response | str | tuple[str, int]:
    """The period report: volume, attention times and satisfaction, with charts."""
    _require_reporter()
    shown = report_page(current_user, _query(), str(get_locale()))
    page = render_template("reports/index.html", **shown)
    return (page, 400) if shown["date_problems"] else page


def _large(kind: str) -> str | None:
    """The confirmation page when the selection is too large to make while the browser waits."""
    _f, base, _t, _fields = selection(current_user, _query())
    total = data.count(base)
    if total <= current_app.config["EXPORT_INLINE_MAX"]:
        return None
    # A background job is work done for someone: it starts from a button (POST with a
    # CSRF token), never from a link that a page on another site could make a browser load.
    return render_template("reports/export_start.html", total=total, query=_query(), kind=kind)


@bp.get("/excel")
@login_required
def excel_export() -> Response | str | tuple[str, int]:
    """Download the filtered history as Excel, at once or through a background job."""
    _require_reporter()
    if (page := _large("xlsx")) is not None:
        return page
    # send_file closes the spool when the response is done.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    excel_to(spool, current_user, _query(), str(get_locale()))
    spool.seek(0)
    return send_file(spool, as_attachment=True, download_name="tickets.xlsx", mimetype=XLSX)


@bp.get("/pdf")
@login_required
def pdf_report() -> Response | str | tuple[str, int]:
    """The period report as PDF, at once or through a background job."""
    _require_reporter()
    if (page := _large("pdf")) is not None:
        return page
    out = io.BytesIO()
    pdf_to(out, current_user, _query())
    return Response(
        out.getvalue(),
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="informe.pdf"'},
    )


@bp.post("/excel", defaults={"kind": "xlsx"})
@bp.post("/pdf", defaults={"kind": "pdf"})
@login_required
def start_export(kind: str) -> Response:
    """Start a large export as a background job and follow its progress."""
    _require_reporter()
    _f, base, _t, _fields = selection(current_user, _query())
    jobs.fail_stale()  # a sweep: exports nobody looks at lose their dead workers' files too
    export = Export(
        user_id=current_user.id,
        kind=kind,
        query=_query(),
        locale=str(get_locale()),
        total_rows=data.count(base),
    )
    db.session.add(export)
    commit()
    jobs.start(running_app(), export)
    return redirect(url_for("reports.export_status", export_id=export.id))


def _own_export(export_id: int) -> Export:
    """One of the current user's exports, as it really is (failed if its worker died), or 404.

    Nobody else's are visible. Pages only read: a dead worker's export is shown failed here
    and recorded as failed (its partial file removed) by the retry or the next sweep.
    """
    return jobs.as_seen(owned_or_404(Export, export_id))


@bp.get("/exportaciones/<int:export_id>")
@login_required
def export_status(export_id: int) -> str:
    """Progress of a background export, with a download link when it is ready."""
    return render_template(
        "reports/export.html", export=_own_export(export_id), worker_stopped=jobs.WORKER_STOPPED
    )


@bp.post("/exportaciones/<int:export_id>/reintentar")
@login_required
def export_retry(export_id: int) -> Response:
    """Run a failed export again, with the same filters, and follow its progress."""
    _require_reporter()
    export = owned_or_404(Export, export_id)
    jobs.settle(export)
    _f, base, _t, _fields = selection(current_user, export.query)
    if jobs.retry(export, data.count(base)):
        commit()
        jobs.start(running_app(), export)
    return redirect(url_for("reports.export_status", export_id=export.id))


@bp.get("/exportaciones/<int:export_id>.json")
@login_required
def export_progress(export_id: int) -> dict[str, object]:
    """Progress as JSON, for the page's progress bar."""
    export = _own_export(export_id)
    return {
        "status": export.status,
        "done": export.done_rows,
        "total": export.total_rows,
        "download": url_for("reports.export_download", export_id=export.id)
        if export.status == "done"
        else None,
    }


@bp.get("/exportaciones/<int:export_id>/descargar")
@login_required
def export_download(export_id: int) -> Response:
    """The finished file, for its requester, for one day."""
    export = _own_export(export_id)
    if (
        export.status != "done"
        or not export.stored_name
        or (export.expires_at and export.expires_at < utcnow())
    ):
        abort(404)
    path = jobs.export_dir() / export.stored_name
    if not path.exists():
        abort(404)
    name, mimetype = KINDS[export.kind]
    return send_file(
        path,
        as_attachment=True,
        download_name=f"{name}-{export.id}.{export.kind}",
        mimetype=mimetype,
    )
