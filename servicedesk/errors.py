"""Error pages in the user's language; never a bare 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .vocabulary import N_

MESSAGES = {
    400: N_("The request could not be understood. Check what you entered and try again."),
    403: N_("You do not have permission to do that."),
    404: N_("We could not find that page."),
    405: N_("That action is not allowed here."),
    413: N_("The file is too large. Please attach a smaller file."),
    429: N_("Too many attempts. Please wait a few minutes and try again."),
    500: N_("Something went wrong on our side. Nothing you saved was lost; please try again."),
}


class BadInput(ValueError):
    """Input a person sent that cannot be used; answered with a 400 page and the reason."""


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    """Render the error page for an HTTP status code."""
    text = message or _(MESSAGES.get(code, MESSAGES[500]))
    return render_template("errors/error.html", code=code, message=text), code


# Answers an error in another format (the API's problems): status, message, HTTP error.
ProblemResponder = Callable[[int, str | None, HTTPException | None], Response]


def answer_problems(app: Flask, wants: Callable[[], bool], respond: ProblemResponder) -> None:
    """Let a part of the app answer errors in its own format for the requests it claims.

    The API registers itself here, so this module (below every blueprint) imports none.
    """
    app.extensions["servicedesk.problems"] = (wants, respond)


def _problem(
    code: int, message: str | None = None, exc: HTTPException | None = None
) -> Response | None:
    """The claiming part's answer to this error, or None for an HTML page."""
    found = current_app.extensions.get("servicedesk.problems")
    if found is None or not found[0]():
        return None
    return found[1](code, message, exc)


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> tuple[str, int]:
        return render_error(
            400, _("Your session expired or the form was sent twice. Please try again.")
        )

    @app.errorhandler(BadInput)
    def bad_input(exc: BadInput) -> Any:
        return _problem(400, str(exc)) or render_error(400, str(exc))

    @app.errorhandler(StaleDataError)
    def lost_edit_race(_exc: StaleDataError) -> Any:
        # Two edits of the same ticket from the same version: the later one is refused.
        db.session.rollback()
        message = _(
            "Someone else changed this ticket at the same time, so your change was "
            "not saved. Load it again and repeat your change."
        )
        return _problem(412, message) or render_error(409, message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        if request_ctx.url_adapter is None:
            # A Host outside TRUSTED_HOSTS: no URL can be built, so no page either.
            return Response(_("This address is not served here."), 400, mimetype="text/plain")
        return _problem(exc.code, exc=exc) or render_error(exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return _problem(500) or render_error(500)
