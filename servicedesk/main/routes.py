"""Send each role home; let anyone choose the interface language."""

from __future__ import annotations

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.routes import home_for
from ..auth.service import is_safe_next
from ..unit_of_work import commit
from . import bp


@bp.get("/")
def index() -> Response:
    """Redirect to the role's home page, or to login."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language() -> Response:
    """Remember the chosen language in the session and, when signed in, on the user."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.language = lang
        commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.index"))


@bp.get("/healthz")
def health() -> dict[str, str]:
    """Answer load balancers."""
    return {"status": "ok"}
