"""rq jobs: they take ids, never ORM objects, and build their own app context."""

from __future__ import annotations

from flask import Flask, has_app_context

from .delivery import deliver

_app: Flask | None = None


def _get_app() -> Flask:
    """Create the app once per worker process."""
    global _app
    if _app is None:
        from .. import create_app

        _app = create_app()
    return _app


def deliver_job(message_id: int) -> bool:
    """Deliver one outbox message from a worker.

    A failed attempt is not raised to rq: the row is pending again with its backoff, and the
    relay queues it once it is due, so the outbox alone decides when mail is retried.
    """
    if has_app_context():
        return deliver(message_id)
    with _get_app().app_context():
        return deliver(message_id)
