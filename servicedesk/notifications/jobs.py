"""rq jobs: they take ids, never ORM objects, and build their own app context."""

from __future__ import annotations

from flask import Flask

_app: Flask | None = None


def _get_app() -> Flask:
    """Create the app once per worker process."""
    global _app
    if _app is None:
        from .. import create_app

        _app = create_app()
    return _app


def deliver_job(message_id: int) -> bool:
    """Deliver one outbox message from a worker."""
    from flask import has_app_context

    if has_app_context():
        return _deliver_or_raise(message_id)
    with _get_app().app_context():
        return _deliver_or_raise(message_id)


def _deliver_or_raise(message_id: int) -> bool:
    """Deliver, raising on a transient failure so rq retries the job with its backoff."""
    from ..extensions import db
    from ..models import OutboxMessage, OutboxStatus
    from .delivery import deliver

    if deliver(message_id):
        return True
    message = db.session.get(OutboxMessage, message_id)
    if message is not None and message.status == OutboxStatus.PENDING:
        raise RuntimeError(f"mail {message_id} not delivered yet: {message.last_error}")
    return False
