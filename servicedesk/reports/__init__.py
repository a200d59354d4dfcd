"""Reports and exports: attention times, satisfaction, Excel and PDF."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/informes")

from . import routes  # noqa: E402,F401
