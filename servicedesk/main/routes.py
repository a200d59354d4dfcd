"""Send each role home; let anyone choose the interface language; the web app manifest."""

from __future__ import annotations

import json

from flask import abort, current_app, redirect, request, session, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.routes import home_for
from ..auth.service import is_safe_next
from ..unit_of_work import commit
from . import bp

THEME_COLOUR = "#0d6efd"  # the navbar's blue (Bootstrap's primary), as in base.html


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


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """Describe the app to phones that add it to their home screen, in the visitor's language."""
    icon = "icons/icon-{0}.png"
    document = {
        "name": gettext("Help desk"),
        "short_name": gettext("Help desk"),
        "lang": str(get_locale()),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {
                "src": url_for("static", filename=icon.format(size)),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in (192, 512)
        ],
    }
    response = current_app.response_class(
        json.dumps(document, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.vary.add("Cookie")  # the language is the session's
    return response
