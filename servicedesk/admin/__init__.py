"""Administración → Service Desk."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/administracion")

from . import areas, mail, mailboxes, routes, settings, sla, types, users  # noqa: E402,F401
