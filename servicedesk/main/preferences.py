"""Each user chooses which notifications they receive."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..notifications.events import MUTABLE
from ..unit_of_work import commit
from . import bp


@bp.route("/cuenta/notificaciones", methods=["GET", "POST"])
@login_required
def notifications() -> Response | str:
    """Show and save the notification switches (closure of one's own ticket always goes)."""
    if request.method == "POST":
        wanted = set(request.form.getlist("kind"))
        current_user.muted = sorted(k for k in MUTABLE if k not in wanted)
        commit()
        flash(_("Your notification preferences were saved."), "success")
        return redirect(url_for("main.notifications"))
    return render_template("notifications.html", kinds=MUTABLE, muted=set(current_user.muted or []))
