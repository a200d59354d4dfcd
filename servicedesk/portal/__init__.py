"""The client's side: Mesa de ayuda."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/mesa-de-ayuda")

from . import routes  # noqa: E402,F401
