"""Commit once per request, then let go of the side effects the change queued."""

from __future__ import annotations

from flask import g, has_request_context

from .db_setup import REQUEST_COMMITTED
from .extensions import db
from .notifications import dispatch


def commit() -> None:
    """Commit the session and hand over the outbox rows and notices written in it."""
    db.session.commit()
    if has_request_context():
        # What follows is hand-off work, not the request's change (see db_setup._begin).
        setattr(g, REQUEST_COMMITTED, True)
    dispatch.dispatch_committed()
