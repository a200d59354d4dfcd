"""The client's side: Mesa de ayuda."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/mesa-de-ayuda")

from . import actions, routes  # noqa: E402,F401
