"""servicedesk: a configurable, self-hosted service desk."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, send_from_directory

from forms_engine import static_path

from . import api, cli, db_setup, errors, i18n, proxies, security, zones
from . import config as settings
from .admin import bp as admin_bp
from .auth import bp as auth_bp
from .desk import bp as desk_bp
from .extensions import babel, bootstrap, csrf, db, login_manager, mail, migrate
from .i18n import select_locale
from .mailin import fetch
from .main import bp as main_bp
from .notifications import courier
from .numbers import RowIdConverter
from .portal import bp as portal_bp
from .reports import bp as reports_bp
from .reports import cache as report_cache
from .sla import escalation
from .tickets import search  # noqa: F401 - registers the index-on-write hook
from .tickets.routes import bp as files_bp
from .zones import select_timezone

PACKAGE = Path(__file__).resolve().parent
# A wheel ships templates/ and migrations/ inside the package (setup.py maps them there); a
# checkout, and an editable install of it, keeps them at the top of the repository.
INSTALLED = (PACKAGE / "migrations" / "env.py").is_file()
ROOT = PACKAGE if INSTALLED else PACKAGE.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, CLI and error pages."""
    instance = os.environ.get("SERVICEDESK_INSTANCE") or (config or {}).get("INSTANCE_PATH")
    if not instance and not INSTALLED:
        instance = ROOT / "instance"
    app = Flask(
        __name__,
        # Installed and unset, Flask's own default (<prefix>/var/servicedesk-instance) keeps
        # the secret key and the SQLite file out of site-packages.
        instance_path=str(instance) if instance else None,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    env = dict(os.environ)
    if config:
        env.update({k: str(v) for k, v in config.items() if k in ("SERVICEDESK_ENV",)})
    app.config.update(settings.load(env, Path(app.instance_path)))
    if config:
        app.config.update(config)
    # "Keep me signed in" lasts as long as a server-side session may (not Flask-Login's year).
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=app.config["SESSION_DAYS"]))
    # Every <int:…> in every route is a row id: a number no row can have is a 404 before
    # any view runs (PostgreSQL refuses to compare an INTEGER column with 2**31).
    app.url_map.converters["int"] = RowIdConverter
    _init_extensions(app)
    _register_blueprints(app)
    _serve_engine_assets(app)
    i18n.init_app(app)
    zones.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    proxies.init_app(app)
    courier.init_app(app)
    escalation.init_app(app)
    fetch.init_app(app)
    report_cache.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    """Bind the unbound extension instances to this app."""
    db.init_app(app)
    db_setup.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories="translations",
    )


def _register_blueprints(app: Flask) -> None:
    """Attach each feature package's routes."""
    for blueprint in (main_bp, auth_bp, portal_bp, desk_bp, admin_bp, files_bp, reports_bp):
        app.register_blueprint(blueprint)
    api.init_app(app)


def _serve_engine_assets(app: Flask) -> None:
    """Serve forms_engine's small show/hide script from the app itself."""

    @app.get("/static/forms_engine/<path:filename>")
    def forms_engine_static(filename: str) -> Response:
        return send_from_directory(static_path(), filename, max_age=3600)
