"""Commit once per request, then let go of the side effects the change queued."""

from __future__ import annotations

from .extensions import db


def commit() -> None:
    """Commit the session and dispatch the outbox rows written in it."""
    from .notifications import outbox

    db.session.commit()
    outbox.dispatch_committed()
