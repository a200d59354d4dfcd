"""The desk's settings page: the organisation's time zone."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..auth.decorators import admin_required
from ..unit_of_work import commit
from ..zones import ZoneError, check_zone, organisation_zone, set_organisation_zone
from . import bp


@bp.route("/ajustes", methods=["GET", "POST"])
@admin_required
def settings() -> Response | str | tuple[str, int]:
    """Show and save the organisation's time zone (an unknown one is refused)."""
    if request.method == "GET":
        return render_template("admin/settings.html", zone=organisation_zone(), zone_error=None)
    raw = request.form.get("timezone", "")
    try:
        zone = check_zone(raw)
    except ZoneError as exc:
        page = render_template("admin/settings.html", zone=raw.strip()[:200], zone_error=str(exc))
        return page, 400
    set_organisation_zone(zone)
    commit()
    flash(_("The organisation's time zone was saved."), "success")
    return redirect(url_for("admin.settings"))
