"""The outbox page: what is pending, sent and failed; retry; send a test e-mail."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..auth.decorators import admin_required
from ..extensions import db
from ..models import OutboxMessage, OutboxStatus
from ..notifications import outbox
from ..unit_of_work import commit
from . import bp

SHOWN = 100


@bp.get("/correo")
@admin_required
def mail_status() -> str:
    """Show the outbox: counts per status and the latest messages with their errors."""
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    latest = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(SHOWN)
    ).all()
    return render_template(
        "admin/mail.html", counts=counts, latest=latest, statuses=[s.value for s in OutboxStatus]
    )


@bp.post("/correo/<int:message_id>/reintentar")
@admin_required
def retry_message(message_id: int) -> Response:
    """Retry one failed message."""
    count = outbox.requeue_failed(OutboxMessage.id == message_id)
    commit()
    flash(_("%(n)d message(s) queued again.", n=count), "info")
    return redirect(url_for("admin.mail_status"))


@bp.post("/correo/reintentar")
@admin_required
def retry_failed() -> Response:
    """Retry every failed message."""
    count = outbox.requeue_failed(OutboxMessage.id.is_not(None))
    commit()
    flash(_("%(n)d message(s) queued again.", n=count), "info")
    return redirect(url_for("admin.mail_status"))


@bp.post("/correo/prueba")
@admin_required
def test_mail() -> Response:
    """Send a test e-mail to the administrator through the same outbox as everything else."""
    outbox.enqueue_template("test", current_user, subject=_l("Service desk test e-mail"))
    commit()
    flash(_("A test e-mail was sent to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("admin.mail_status"))
