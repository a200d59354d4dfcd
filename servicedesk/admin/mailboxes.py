"""Administración → Service Desk → Buzones de correo: the IMAP mailboxes the desk reads."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ..auth.decorators import admin_required
from ..extensions import db
from ..mailin import mailboxes
from ..models import Area, Mailbox, TicketType
from ..numbers import row_id, whole_number
from ..unit_of_work import commit
from . import bp
from .forms import ActionForm
from .mailbox_forms import MailboxForm

Page = Response | str | tuple[str, int]


def _choices(form: MailboxForm) -> None:
    """Areas and types to choose from (inactive ones too, marked, so a saved choice shows)."""
    areas = db.session.scalars(select(Area).order_by(Area.name)).all()
    form.area_id.choices = [
        SelectChoice(str(a.id), a.name if a.active else _("%(name)s (inactive)", name=a.name))
        for a in areas
    ]
    types = db.session.scalars(select(TicketType).order_by(TicketType.name)).all()
    form.ticket_type_id.choices = [SelectChoice("", _("The desk's default"))] + [
        SelectChoice(str(t.id), t.name if t.active else _("%(name)s (inactive)", name=t.name))
        for t in types
    ]


def _page(form: MailboxForm, mailbox: Mailbox | None, status: int = 200) -> tuple[str, int]:
    _choices(form)
    return render_template(
        "admin/mailbox_form.html", form=form, mailbox=mailbox, action=ActionForm()
    ), status


def _chosen_id(raw: str | None) -> int | None:
    """A chosen row's id; None when nothing was chosen, 0 (no row) when it cannot be one."""
    if not raw:
        return None
    return row_id(raw) or 0


def _input(form: MailboxForm) -> mailboxes.MailboxInput:
    """The form's values as the rules take them; ids and the port read as numbers or None."""
    return mailboxes.MailboxInput(
        name=form.name.data or "",
        address=form.address.data or "",
        area_id=_chosen_id(request.form.get("area_id")),
        ticket_type_id=_chosen_id(request.form.get("ticket_type_id")),
        host=form.host.data or "",
        port=whole_number((form.port.data or "").strip(), 65535),
        security=request.form.get("security", ""),
        username=form.username.data or "",
        password=request.form.get("password") or None,
        folder=form.folder.data or "",
        done_folder=form.done_folder.data or "",
        rejected_folder=form.rejected_folder.data or "",
        active=bool(form.active.data),
    )


def _save(form: MailboxForm, mailbox: Mailbox | None) -> Page:
    if not form.validate_on_submit():
        return _page(form, mailbox, 400)
    try:
        saved = mailboxes.save(mailbox, _input(form))
    except mailboxes.MailboxError as error:
        field = form._fields.get(error.field or "")
        if field is not None:
            field.errors = [*field.errors, error.message]
        else:
            flash(str(error.message), "danger")
        db.session.rollback()
        return _page(form, mailbox, 400)
    commit()
    flash(_("Mailbox %(name)s saved.", name=saved.name), "success")
    return redirect(url_for("admin.mailbox_edit", mailbox_id=saved.id))


@bp.get("/buzones")
@admin_required
def mailbox_list() -> Page:
    """List the mailboxes with their last reading."""
    return render_template(
        "admin/mailboxes.html", rows=mailboxes.list_mailboxes(), action=ActionForm()
    )


@bp.get("/buzones/nuevo")
@admin_required
def mailbox_new() -> Page:
    """An empty mailbox form with the usual folders and TLS on 993."""
    form = MailboxForm(
        port="993",
        security="tls",
        folder="INBOX",
        done_folder=_("Processed"),
        rejected_folder=_("Rejected"),
        active=True,
    )
    return _page(form, None)


@bp.post("/buzones/nuevo")
@admin_required
def mailbox_create() -> Page:
    """Create a mailbox."""
    return _save(MailboxForm(), None)


@bp.get("/buzones/<int:mailbox_id>")
@admin_required
def mailbox_edit(mailbox_id: int) -> Page:
    """A mailbox's settings, the password left blank (kept unless a new one is typed)."""
    mailbox = db.get_or_404(Mailbox, mailbox_id)
    form = MailboxForm(
        name=mailbox.name,
        address=mailbox.address,
        area_id=str(mailbox.area_id),
        ticket_type_id=str(mailbox.ticket_type_id or ""),
        host=mailbox.host,
        port=str(mailbox.port),
        security=mailbox.security,
        username=mailbox.username,
        folder=mailbox.folder,
        done_folder=mailbox.done_folder,
        rejected_folder=mailbox.rejected_folder,
        active=mailbox.active,
    )
    return _page(form, mailbox)


@bp.post("/buzones/<int:mailbox_id>")
@admin_required
def mailbox_update(mailbox_id: int) -> Page:
    """Change a mailbox; an empty password keeps the stored one."""
    return _save(MailboxForm(), db.get_or_404(Mailbox, mailbox_id))


@bp.post("/buzones/<int:mailbox_id>/probar")
@admin_required
def mailbox_test(mailbox_id: int) -> Response:
    """Log in with the saved settings and open the folder; say what happened."""
    mailbox = db.get_or_404(Mailbox, mailbox_id)
    worked, message = mailboxes.try_connection(mailbox)
    flash(message, "success" if worked else "danger")
    return redirect(url_for("admin.mailbox_edit", mailbox_id=mailbox.id))
