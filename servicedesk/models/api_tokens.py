"""Personal API tokens: shown once, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .base import UTCDateTime, utcnow
from .users import User

PREFIX = "sd_"


def digest(secret: str) -> str:
    """Hash a token for storage and lookup (tokens are random, so no salt is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(Model):
    """A bearer token that acts as its user through the API, with the user's rights."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so people can tell their tokens apart; not enough to use one.
    hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token for a user; return it and the secret (shown once, never stored)."""
        secret = PREFIX + secrets.token_urlsafe(32)
        token = cls(
            user_id=user.id, name=name, token_hash=digest(secret), hint=secret[: len(PREFIX) + 6]
        )
        db.session.add(token)
        return token, secret

    @property
    def active(self) -> bool:
        """Tell whether the token still works."""
        return self.revoked_at is None
