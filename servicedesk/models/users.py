"""Users, roles, areas and the tokens that let people in."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..emails import MAX_LENGTH
from ..extensions import Model, db
from ..vocabulary import Role
from .base import JSONType, UTCDateTime, one_of, utcnow


def new_session_token() -> str:
    """Return a random identifier for a user's login sessions."""
    return secrets.token_urlsafe(24)


area_members = Table(
    "area_members",
    db.metadata,
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # A supervisor of the area is told when one of its tickets misses a service level.
    Column("supervisor", Boolean, nullable=False, default=False, server_default=sa_false()),
    Index("ix_area_members_user_id", "user_id"),
)


class User(UserMixin, Model):
    """A person who logs in: administrator, collaborator or client."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="ck_users_role"),
        CheckConstraint("language IN ('es', 'en')", name="ck_users_language"),
        Index("ix_users_role_active", "role", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(MAX_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Where a resident lives ("Depto 101", "Torre B 3"): how a front desk knows them.
    unit: Mapped[str | None] = mapped_column(String(60))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.CLIENT)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(5), default="es")
    # An IANA zone name (America/Mexico_City); empty: the organisation's zone.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Rotated on password change or deactivation: every open session ends at once.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Notification kinds this user turned off (see notifications/events.py).
    muted: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default=text("'[]'"))

    areas: Mapped[list[Area]] = relationship(
        secondary=area_members, back_populates="members", order_by="Area.name"
    )

    def get_id(self) -> str:
        """Identify the session by its own secret (see LoginSession), never the primary key."""
        # Set by the login service or the loader; not a column (only its hash is stored).
        return str(self.__dict__.get("login_secret", ""))

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in or keep a session."""
        return bool(self.active)

    @property
    def is_admin(self) -> bool:
        """Tell whether the user administers the desk."""
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """Tell whether the user works tickets (collaborator or administrator)."""
        return self.role in (Role.ADMIN, Role.COLLABORATOR)

    @property
    def is_client(self) -> bool:
        """Tell whether the user files tickets only."""
        return self.role == Role.CLIENT

    def set_password(self, password: str) -> None:
        """Hash and store a new password, ending other sessions and voiding tokens."""
        # Configurable so the test suite can use a cheap hash; scrypt in real use.
        method = (
            current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
            if has_app_context()
            else "scrypt"
        )
        self.password_hash = generate_password_hash(password, method=method)
        self.password_changed_at = utcnow()
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        """Compare a candidate password with the stored hash."""
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        """Show the user's e-mail and role."""
        return f"<User {self.email} {self.role}>"


class Area(Model):
    """A department (Seguridad, Limpieza…) that groups collaborators."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The area's business hours for service levels; None: the organisation's default.
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_calendars.id", ondelete="SET NULL")
    )

    members: Mapped[list[User]] = relationship(
        secondary=area_members, back_populates="areas", order_by="User.name"
    )

    def __repr__(self) -> str:
        """Show the area's name."""
        return f"<Area {self.name}>"


class TokenPurpose(StrEnum):
    """Why a one-time token was issued."""

    RESET = "reset"
    INVITE = "invite"


class AuthToken(Model):
    """A single-use token for password reset or invitation, stored as a hash."""

    __tablename__ = "auth_tokens"
    __table_args__ = (
        CheckConstraint(one_of("purpose", TokenPurpose), name="ck_auth_tokens_purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LoginAttempt(Model):
    """A failed login, kept for rate limiting across every app instance."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_LENGTH))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginSession(Model):
    """One signed-in browser: ended by logging out there, or by a password change anywhere.

    The cookie carries a random secret; only its SHA-256 is stored. ``generation`` is the
    user's ``session_token`` when the session began: rotating that token (password change,
    deactivation) ends every session of the user at once.
    """

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    generation: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
