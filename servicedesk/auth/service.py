"""Authentication services: credentials, rate limits and one-time tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import AuthToken, LoginAttempt, Role, TokenPurpose, User, utcnow
from ..notifications import outbox


class RateLimited(Exception):
    """Too many failed logins for this e-mail or address."""


@dataclass
class Invitation:
    """A freshly invited user and the raw token mailed to them."""

    user: User
    token: str


def normalise_email(email: str) -> str:
    """Compare e-mail addresses case-insensitively and without stray spaces."""
    return email.strip().lower()


def _hash(token: str) -> str:
    """Hash a raw token for storage; only the hash ever reaches the database."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_safe_next(target: str | None) -> bool:
    """Accept only local absolute paths as post-login destinations."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 32 for ch in target) or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _window_start():  # noqa: ANN202
    """Return the start of the rate-limit window."""
    return utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def _failures(column, value: str) -> int:  # noqa: ANN001
    """Count recent failed logins matching one column."""
    query = select(func.count()).where(column == value, LoginAttempt.at >= _window_start())
    return db.session.scalar(query) or 0


def check_rate_limit(email: str, ip: str) -> None:
    """Refuse further attempts once an e-mail or address failed too often."""
    cfg = current_app.config
    if _failures(LoginAttempt.email, email) >= cfg["LOGIN_MAX_FAILURES"]:
        raise RateLimited
    if _failures(LoginAttempt.ip, ip) >= cfg["LOGIN_MAX_FAILURES_PER_IP"]:
        raise RateLimited


def authenticate(email: str, password: str, ip: str) -> User | None:
    """Return the active user with these credentials, recording failures."""
    email = normalise_email(email)
    check_rate_limit(email, ip)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active or not user.check_password(password):
        db.session.add(LoginAttempt(email=email, ip=ip))
        return None
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    user.last_login_at = utcnow()
    return user


def issue_token(user: User, purpose: TokenPurpose) -> str:
    """Create a single-use token, void older ones of the same purpose, return it raw."""
    hours = current_app.config[
        "RESET_TOKEN_HOURS" if purpose == TokenPurpose.RESET else "INVITE_TOKEN_HOURS"
    ]
    now = utcnow()
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.purpose == purpose,
               AuthToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AuthToken(user_id=user.id, purpose=purpose, token_hash=_hash(raw),
                  created_at=now, expires_at=now + timedelta(hours=hours))
    )
    return raw


def find_token(raw: str, purpose: TokenPurpose) -> AuthToken | None:
    """Return the live token for a raw value, or None if unknown, used or expired."""
    if not raw or len(raw) > 128:
        return None
    token = db.session.scalar(
        select(AuthToken).where(AuthToken.token_hash == _hash(raw), AuthToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    user = token.user
    if not user.active and purpose == TokenPurpose.RESET:
        return None
    changed = user.password_changed_at
    # A password change after the token was issued voids it.
    if changed is not None and changed > token.created_at:
        return None
    return token


def consume_token(token: AuthToken, password: str) -> User:
    """Use a token to set the user's password; the token cannot be used again."""
    now = utcnow()
    token.used_at = now
    user = token.user
    user.set_password(password)
    if token.purpose == TokenPurpose.INVITE:
        user.active = True
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.used_at.is_(None))
        .values(used_at=now)
    )
    return user


def request_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active user; say nothing either way."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active or user.password_hash is None:
        return
    raw = issue_token(user, TokenPurpose.RESET)
    outbox.enqueue_template(
        "password_reset", user,
        subject=_l("Reset your password"),
        link=url_for("auth.reset_password", token=raw, _external=True),
        hours=current_app.config["RESET_TOKEN_HOURS"],
    )


def invite_user(inviter: User, *, name: str, email: str, role: Role, language: str) -> Invitation:
    """Create an account without a password and mail its invitation link."""
    user = User(name=name.strip(), email=normalise_email(email), role=role, language=language,
                active=True)
    db.session.add(user)
    db.session.flush()
    raw = send_invitation(inviter, user)
    return Invitation(user=user, token=raw)


def send_invitation(inviter: User, user: User) -> str:
    """Issue a fresh invitation token for a user and mail it."""
    raw = issue_token(user, TokenPurpose.INVITE)
    outbox.enqueue_template(
        "invitation", user,
        subject=_l("You are invited to the service desk"),
        link=url_for("auth.accept_invitation", token=raw, _external=True),
        inviter=inviter.name,
        hours=current_app.config["INVITE_TOKEN_HOURS"],
    )
    return raw
