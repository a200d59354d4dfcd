"""Administration of users: list, invite."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..auth.decorators import admin_required
from ..auth.forms import InviteForm
from ..auth.service import invite_user, normalise_email
from ..extensions import db
from ..models import Role, User
from ..unit_of_work import commit
from . import bp


@bp.get("/usuarios")
@admin_required
def users() -> str:
    """List the users."""
    people = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    return render_template("admin/users.html", users=people, form=InviteForm())


@bp.post("/usuarios")
@admin_required
def invite() -> Response | str | tuple[str, int]:
    """Create an account and mail its invitation link."""
    form = InviteForm()
    people = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    if not form.validate_on_submit():
        return render_template("admin/users.html", users=people, form=form), 400
    email = normalise_email(form.email.data or "")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        form.email.errors = [_("A user with this e-mail already exists.")]
        return render_template("admin/users.html", users=people, form=form), 400
    invite_user(current_user, name=form.name.data or "", email=email,
                role=Role(form.role.data), language=form.language.data or "es")
    commit()
    flash(_("Invitation sent to %(email)s.", email=email), "success")
    return redirect(url_for("admin.users"))
