"""Views for signing in and out, resetting passwords and accepting invitations."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..errors import render_error
from ..extensions import login_manager
from ..models import TokenPurpose, User
from ..unit_of_work import commit
from . import bp, service
from .forms import ForgotForm, LoginForm, SetPasswordForm


@login_manager.user_loader
def load_user(session_secret: str) -> User | None:
    """Find the user of a live server-side session."""
    return service.session_user(session_secret)


login_manager.login_view = "auth.login"
login_manager.login_message = None


def client_ip() -> str:
    """Return the caller's address (behind TRUSTED_PROXIES, the one they forwarded)."""
    return (request.remote_addr or "unknown")[:64]


def home_for(user: User) -> str:
    """Return the landing page for a role."""
    if user.is_staff:
        return url_for("desk.dashboard")
    return url_for("portal.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Show the login form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                form.email.data or "", form.password.data or "", client_ip()
            )
        except service.RateLimited:
            return render_template("auth/login.html", form=form, limited=True), 429
        if user is None:
            commit()
            flash(_("The e-mail or password is not correct."), "danger")
            return render_template("auth/login.html", form=form), 200
        return _sign_in(user, bool(form.remember.data), next_url)
    return render_template("auth/login.html", form=form)


def _sign_in(user: User, remember: bool, next_url: str | None) -> Response:
    """Start a fresh session for the user and send them on."""
    lang = session.get("lang")
    # A new session at login: nothing set before authentication carries over.
    session.clear()
    if lang:
        session["lang"] = lang
    service.start_session(user)
    login_user(user, remember=remember)
    commit()
    target = next_url if service.is_safe_next(next_url) else home_for(user)
    return redirect(target)


@bp.post("/logout")
def logout() -> Response:
    """End the session, on the server too: its cookies open nothing afterwards."""
    service.end_session(str(session.get("_user_id") or ""))
    logout_user()
    session.clear()
    commit()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Response | str:
    """Ask for a reset link; the answer is the same whether the address exists or not."""
    form = ForgotForm()
    if form.validate_on_submit():
        service.request_reset(form.email.data or "")
        commit()
        flash(
            _(
                "If that address belongs to an account, we have sent it a link to choose "
                "a new password. The link is valid for %(hours)d hour(s).",
                hours=current_app.config["RESET_TOKEN_HOURS"],
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    """Choose a new password with a reset token."""
    return _set_password_with(token, TokenPurpose.RESET, "auth/reset.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response | str | tuple[str, int]:
    """Choose a first password with an invitation token."""
    return _set_password_with(token, TokenPurpose.INVITE, "auth/invitation.html")


def _set_password_with(
    token: str, purpose: TokenPurpose, template: str
) -> Response | str | tuple[str, int]:
    """Check a one-time token, then let its user choose a password."""
    record = service.find_token(token, purpose)
    if record is None:
        return render_error(
            404,
            _(
                "This link is not valid any more. It may have expired or "
                "been used already; ask for a new one."
            ),
        )
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = service.consume_token(record, form.password.data or "")
        session.clear()
        service.start_session(user)
        login_user(user)
        commit()
        flash(_("Your password has been saved."), "success")
        return redirect(home_for(user))
    return render_template(template, form=form, user=record.user)
