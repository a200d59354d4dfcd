"""Personal API tokens: each user creates, sees and revokes their own."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import ApiToken, utcnow
from ..tickets.loading import owned_or_404
from ..unit_of_work import commit
from . import bp


def _page(secret: str | None = None, error: str | None = None, name: str = "") -> Response:
    """The tokens page; a new secret is shown once and never cached."""
    tokens = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    response = make_response(
        render_template("tokens.html", tokens=tokens, secret=secret, error=error, name=name),
        400 if error else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cuenta/tokens")
@login_required
def tokens() -> Response:
    """List my API tokens."""
    return _page()


@bp.post("/cuenta/tokens")
@login_required
def create_token() -> Response:
    """Create a token and show its secret this one time."""
    name = request.form.get("name", "").strip()
    if not name or len(name) > 80:
        return _page(error=_("Give the token a name of at most 80 characters."), name=name[:80])
    _token, secret = ApiToken.issue(current_user, name)
    commit()
    return _page(secret=secret)


@bp.post("/cuenta/tokens/<int:token_id>/revocar")
@login_required
def revoke_token(token_id: int) -> Response:
    """Revoke one of my tokens; it stops working at once."""
    token = owned_or_404(ApiToken, token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        commit()
    flash(_("Token %(name)s revoked.", name=token.name), "info")
    return redirect(url_for("main.tokens"))
