"""The collaborators' side: the Tablero."""

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/tablero")

from . import actions, dashboard, on_behalf, routes  # noqa: E402,F401
