"""The collaborators' side: the Tablero."""

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/tablero")

from . import actions, routes  # noqa: E402,F401
