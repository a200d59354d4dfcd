"""The REST API under /api/v1: bearer tokens, the web's rules, problems as JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .. import errors, json_text
from ..extensions import csrf, db
from ..models import ApiToken, User, utcnow
from ..models.api_tokens import digest
from . import contract, limits
from .problems import ApiError, from_error, problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Only bearer tokens authenticate here, never the session cookie, so no CSRF token is needed
# (a browser cannot attach an Authorization header to a cross-site request on its own).
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api.openapi", "api.reference"}
LAST_USED_EVERY = timedelta(minutes=1)


def _bearer() -> str | None:
    """The token in the Authorization header, if it is a bearer token."""
    header = request.headers.get("Authorization", "")
    scheme, _space, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip() or len(secret) > 200:
        return None
    return secret.strip()


# The token and its user in one statement, built once: composing it (and its cache key) on
# every request cost more than running it.
_TOKEN_AND_USER = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def _authenticate() -> tuple[User, ApiToken]:
    """Find the active token and its active user, or raise a 401 problem."""
    secret = _bearer()
    found = (
        db.session.execute(_TOKEN_AND_USER, {"token_hash": digest(secret)}).first()
        if secret
        else None
    )
    if found is None or not found[0].active or not found[1].active:
        raise ApiError(401, headers={"WWW-Authenticate": 'Bearer realm="servicedesk"'})
    token, user = found
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        # Written at most once a minute per token: reads stay reads.
        try:
            db.session.execute(
                update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
            )
            db.session.commit()
        except OperationalError:
            # A read (GET) holds a SQLite snapshot; if a writer committed since, the write is
            # refused at once. The timestamp is a hint: the next request records it.
            db.session.rollback()
    return user, token


@bp.before_request
def authenticate() -> Response | None:
    """Authenticate the bearer token, apply its rate limit, and act as its user."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user, token = _authenticate()
    verdict = limits.check(token.token_hash[:32])
    g.rate_headers = {
        "RateLimit-Limit": str(verdict.limit),
        "RateLimit-Remaining": str(verdict.remaining),
        "RateLimit-Reset": str(verdict.reset),
    }
    if not verdict.allowed:
        raise ApiError(429, headers={**g.rate_headers, "Retry-After": str(verdict.reset)})
    # Flask-Login reads the user from g: the services see the token's user as current_user.
    g._login_user = user
    contract.check_query()
    return None


@bp.after_request
def headers(response: Response) -> Response:
    """Rate-limit headers, and no caching of private answers by shared caches."""
    for key, value in getattr(g, "rate_headers", {}).items():
        response.headers[key] = value
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


@bp.errorhandler(ApiError)
def api_error(exc: ApiError) -> Response:
    """Answer an ApiError as a problem."""
    db.session.rollback()
    return from_error(exc)


def http_problem(exc: HTTPException) -> Response:
    """Answer an HTTP error (404, 405, 413…) under /api/ as a problem."""
    headers = {"Allow": exc.get_response().headers["Allow"]} if exc.code == 405 else None
    return problem(exc.code or 500, headers=headers)


def wants_problem() -> bool:
    """Tell whether this request is an API request (errors answered as JSON)."""
    return request.path.startswith("/api/")


def _respond(status: int, detail: str | None, exc: HTTPException | None) -> Response:
    """An error of an API request as a problem (errors.py asks)."""
    return http_problem(exc) if exc is not None else problem(status, detail)


def init_app(app: Flask) -> None:
    """Register the blueprint and its routes, and answer API errors as problems."""
    app.register_blueprint(bp)
    errors.answer_problems(app, wants_problem, _respond)


def json_input() -> dict[str, Any]:
    """The request's JSON object, within API_MAX_JSON_KB, or a 413/415/400 problem."""
    limit = current_app.config["API_MAX_JSON_KB"] * 1024
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413)
    if not request.is_json:
        raise ApiError(415)
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(413)
    data = json_object(raw, _("The body must be a JSON object."))
    contract.check_body(data)
    return data


def json_object(raw: str | bytes, not_object: str) -> dict[str, Any]:
    """A JSON object read by the app's one JSON reader, or a 400 problem saying why."""
    try:
        data = json_text.loads(raw)
    except json_text.JSONTextError as exc:
        raise ApiError(400, str(exc.message)) from exc
    if not isinstance(data, dict):
        raise ApiError(400, not_object)
    return data


# The routes register themselves on bp, so they load once bp and json_input exist.
from . import routes  # noqa: E402,F401
