"""After a commit: hand the messages and notices it wrote to rq, or to the courier thread."""

from __future__ import annotations

from flask import current_app

from ..extensions import db, running_app
from . import courier, delivery, fanout, outbox


def dispatch_committed() -> None:
    """Hand over what the transaction committed just now: mail to send, notices to expand."""
    messages: list[int] = db.session.info.pop(outbox.PENDING_KEY, [])
    notices: list[int] = db.session.info.pop(fanout.NOTICES_KEY, [])
    if not messages and not notices:
        return
    if current_app.config.get("REDIS_URL"):
        if messages:
            delivery.relay(messages)
        if notices:
            fanout.queue(notices)
        return
    # After the response, not during it: a dead mail server must not hold the request.
    courier.for_app(running_app()).submit(messages, notices)
