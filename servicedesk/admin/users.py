"""Administration of users: list with filters, invite, edit, deactivate, reactivate."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.decorators import admin_required
from ..auth.forms import InviteForm
from ..extensions import db
from ..models import User
from ..unit_of_work import commit
from . import bp, people
from .forms import ActionForm, UserEditForm, show_error

Page = Response | str | tuple[str, int]


def _list(form: InviteForm, status: int = 200) -> tuple[str, int]:
    filters = people.parse_filters(request.args)
    return render_template(
        "admin/users.html",
        page=people.list_users(filters),
        filters=filters,
        areas=people.all_areas(),
        roles=people.ROLES,
        states=people.STATES,
        form=form,
    ), status


def _edit_page(user: User, form: UserEditForm | None = None, status: int = 200) -> tuple[str, int]:
    if form is None:
        form = UserEditForm(
            name=user.name, role=user.role, language=user.language, areas=[a.id for a in user.areas]
        )
    form.areas.choices = [
        (a.id, a.name if a.active else _("%(name)s (inactive)", name=a.name))
        for a in people.all_areas()
    ]
    return render_template(
        "admin/user_edit.html", user=user, form=form, action=ActionForm()
    ), status


@bp.get("/usuarios")
@admin_required
def users() -> Page:
    """List the users, filtered and paginated, and offer to invite one."""
    return _list(InviteForm())


@bp.post("/usuarios")
@admin_required
def invite() -> Page:
    """Create an account and mail its invitation link."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _list(form, 400)
    try:
        user = people.invite(
            current_user,
            name=form.name.data or "",
            email=form.email.data or "",
            role=form.role.data or "",
            language=form.language.data or "es",
        )
    except people.PeopleError as error:
        show_error(form, error)
        return _list(form, 400)
    commit()
    flash(_("Invitation sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.get("/usuarios/<int:user_id>")
@admin_required
def user_edit(user_id: int) -> Page:
    """Show a user for editing."""
    return _edit_page(db.get_or_404(User, user_id))


@bp.post("/usuarios/<int:user_id>")
@admin_required
def user_update(user_id: int) -> Page:
    """Save a user's name, role, language and areas."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm()
    if not form.validate_on_submit():
        return _edit_page(user, form, 400)
    try:
        people.update_user(
            user,
            name=form.name.data or "",
            role=form.role.data or "",
            language=form.language.data or "",
            area_ids=form.areas.data or [],
        )
    except people.PeopleError as error:
        show_error(form, error)
        return _edit_page(user, form, 400)
    commit()
    flash(_("%(name)s saved.", name=user.name), "success")
    return redirect(url_for("admin.users" if current_user.is_admin else "main.index"))


@bp.post("/usuarios/<int:user_id>/desactivar")
@admin_required
def user_deactivate(user_id: int) -> Page:
    """Deactivate a user; their sessions end at once."""
    return _act(user_id, people.deactivate_user, _("%(name)s deactivated."))


@bp.post("/usuarios/<int:user_id>/reactivar")
@admin_required
def user_reactivate(user_id: int) -> Page:
    """Let a deactivated user log in again."""
    return _act(user_id, people.reactivate_user, _("%(name)s reactivated."))


@bp.post("/usuarios/<int:user_id>/reenviar-invitacion")
@admin_required
def user_resend_invitation(user_id: int) -> Page:
    """Mail a fresh invitation link; the previous one stops working."""
    return _act(
        user_id,
        lambda user: people.resend_invitation(current_user, user),
        _("A new invitation was sent to %(name)s."),
    )


def _act(user_id: int, action: Callable[[User], object], done: str) -> Page:
    """Run one action on a user, commit, and say how it went; a refusal changes nothing."""
    user = db.get_or_404(User, user_id)
    try:
        action(user)
    except people.PeopleError as error:
        flash(str(error.message), "danger")
        return _edit_page(user, status=400)
    commit()
    flash(done % {"name": user.name}, "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
