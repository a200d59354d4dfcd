"""The landing page and the language switch."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from . import preferences, routes, tokens  # noqa: E402,F401
