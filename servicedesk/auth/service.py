"""Authentication services: credentials, rate limits and one-time tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..emails import normalise_email
from ..extensions import db
from ..links import public_url
from ..models import (
    AuthToken,
    LoginAttempt,
    LoginSession,
    Role,
    TokenPurpose,
    User,
    utcnow,
)
from ..notifications import outbox


class RateLimited(Exception):
    """Too many failed logins for this e-mail or address."""


@dataclass
class Invitation:
    """A freshly invited user and the raw token mailed to them."""

    user: User
    token: str


def _hash(token: str) -> str:
    """Hash a raw token for storage; only the hash ever reaches the database."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Accept only local absolute paths as post-login destinations."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 32 for ch in target) or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _window_start() -> datetime:
    """Return the start of the rate-limit window."""
    return utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def _failures(*conditions: Any) -> int:
    """Count recent failed logins matching the conditions."""
    query = select(func.count()).where(*conditions, LoginAttempt.at >= _window_start())
    return db.session.scalar(query) or 0


def check_rate_limit(email: str, ip: str) -> None:
    """Refuse further attempts once guessing shows, without locking out anyone else.

    Three limits: an account from one address (someone guessing a password), an account
    from anywhere (guessing spread over many addresses, set well above the first so that
    nobody can lock a colleague out from one machine), and one address over every account
    (set far above what an office behind one proxy produces, so a typo-prone office never
    locks itself out).
    """
    cfg = current_app.config
    if _failures(LoginAttempt.email == email, LoginAttempt.ip == ip) >= cfg["LOGIN_MAX_FAILURES"]:
        raise RateLimited
    if _failures(LoginAttempt.email == email) >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        raise RateLimited
    if _failures(LoginAttempt.ip == ip) >= cfg["LOGIN_MAX_FAILURES_PER_IP"]:
        raise RateLimited


_DUMMY_HASHES: dict[str, str] = {}


def _spend_a_password_check(password: str) -> None:
    """Take as long as checking a real password, so timing does not tell who has an account."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    check_password_hash(_DUMMY_HASHES[method], password)


def authenticate(email: str, password: str, ip: str) -> User | None:
    """Return the active user with these credentials, recording failures."""
    email = normalise_email(email)
    check_rate_limit(email, ip)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.password_hash is None:
        _spend_a_password_check(password)
        valid = False
    else:
        valid = user.check_password(password) and user.active
    if not valid:
        db.session.add(LoginAttempt(email=email, ip=ip))
        return None
    assert user is not None
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    user.last_login_at = utcnow()
    return user


def _session_cutoff() -> datetime:
    """Sessions older than this have ended, whatever the browser kept."""
    return utcnow() - timedelta(days=current_app.config["SESSION_DAYS"])


def start_session(user: User) -> None:
    """Open a server-side session for this browser; get_id() then names it."""
    raw = secrets.token_urlsafe(32)
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.created_at < _session_cutoff()
        )
    )
    db.session.add(
        LoginSession(user_id=user.id, secret_hash=_hash(raw), generation=user.session_token)
    )
    user.__dict__["login_secret"] = raw


# The user of a live session, built once (it runs on every signed-in request).
_SESSION_USER = (
    select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        LoginSession.secret_hash == bindparam("secret_hash"),
        LoginSession.generation == User.session_token,
        LoginSession.created_at >= bindparam("cutoff", type_=LoginSession.created_at.type),
    )
)


def session_user(raw: str) -> User | None:
    """The user of a live session, or None if it ended (logout, password change, age)."""
    if not raw or len(raw) > 64:
        return None
    user = db.session.scalar(
        _SESSION_USER, {"secret_hash": _hash(raw), "cutoff": _session_cutoff()}
    )
    if user is not None:
        user.__dict__["login_secret"] = raw
    return user


def end_session(raw: str) -> None:
    """Forget one browser's session: its cookies open nothing any more."""
    if raw:
        db.session.execute(delete(LoginSession).where(LoginSession.secret_hash == _hash(raw)))


def issue_token(user: User, purpose: TokenPurpose) -> str:
    """Create a single-use token, void older ones of the same purpose, return it raw."""
    hours = current_app.config[
        "RESET_TOKEN_HOURS" if purpose == TokenPurpose.RESET else "INVITE_TOKEN_HOURS"
    ]
    now = utcnow()
    db.session.execute(
        update(AuthToken)
        .where(
            AuthToken.user_id == user.id, AuthToken.purpose == purpose, AuthToken.used_at.is_(None)
        )
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AuthToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(raw),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
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


def _resets_in_last_hour(user: User) -> int:
    """Count the reset links mailed to this user in the last hour."""
    since = utcnow() - timedelta(hours=1)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuthToken)
            .where(
                AuthToken.user_id == user.id,
                AuthToken.purpose == TokenPurpose.RESET,
                AuthToken.created_at >= since,
            )
        )
        or 0
    )


def request_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active user; say nothing either way.

    At most RESET_MAILS_PER_HOUR links an hour go to one address, so the form cannot be
    used to flood someone's mailbox; the answer on the page stays the same.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active or user.password_hash is None:
        return
    if _resets_in_last_hour(user) >= current_app.config["RESET_MAILS_PER_HOUR"]:
        return
    raw = issue_token(user, TokenPurpose.RESET)
    outbox.enqueue_template(
        "password_reset",
        user,
        subject=_l("Reset your password"),
        link=public_url("auth.reset_password", token=raw),
        hours=current_app.config["RESET_TOKEN_HOURS"],
    )


def invite_user(inviter: User, *, name: str, email: str, role: Role, language: str) -> Invitation:
    """Create an account without a password and mail its invitation link."""
    user = User(
        name=name.strip(), email=normalise_email(email), role=role, language=language, active=True
    )
    db.session.add(user)
    db.session.flush()
    raw = send_invitation(inviter, user)
    return Invitation(user=user, token=raw)


def send_invitation(inviter: User, user: User) -> str:
    """Issue a fresh invitation token for a user and mail it."""
    raw = issue_token(user, TokenPurpose.INVITE)
    outbox.enqueue_template(
        "invitation",
        user,
        subject=_l("You are invited to the service desk"),
        link=public_url("auth.accept_invitation", token=raw),
        inviter=inviter.name,
        hours=current_app.config["INVITE_TOKEN_HOURS"],
    )
    return raw
