"""Each user's preferences: which notifications they receive, and their time zone."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..notifications.events import MUTABLE
from ..unit_of_work import commit
from ..zones import ZoneError, organisation_zone, personal_zone
from . import bp


def _page(zone: str | None, zone_error: str | None = None) -> str:
    """The preferences page, with the zone select showing `zone`."""
    return render_template(
        "notifications.html",
        kinds=MUTABLE,
        muted=set(current_user.muted or []),
        zone=zone,
        zone_error=zone_error,
        organisation_zone=organisation_zone(),
    )


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
    return _page(current_user.timezone)


@bp.post("/cuenta/zona-horaria")
@login_required
def time_zone() -> Response | tuple[str, int]:
    """Save the user's time zone (empty: the organisation's); an unknown one is refused."""
    raw = request.form.get("timezone", "")
    try:
        current_user.timezone = personal_zone(raw)
    except ZoneError as exc:
        return _page(raw.strip()[:200], str(exc)), 400
    commit()
    flash(_("Your time zone was saved."), "success")
    return redirect(url_for("main.notifications"))
