"""Write messages to the outbox inside the caller's transaction; dispatch them after commit."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db, running_app
from ..models import OutboxMessage, User
from . import courier, delivery

PENDING_KEY = "outbox_new_ids"


def enqueue_template(kind: str, user: User, *, subject: Any, **context: Any) -> OutboxMessage:
    """Render an e-mail pair in the user's language and add it to the outbox."""
    with force_locale(user.language):
        subject_text = str(subject)
        ctx = {"user": user, "subject": subject_text, **context}
        text = render_template(f"email/{kind}.txt", **ctx)
        html = render_template(f"email/{kind}.html", **ctx)
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or "servicedesk"
    message = OutboxMessage(
        kind=kind,
        recipient=user.email,
        language=user.language,
        subject=subject_text,
        body_text=text,
        body_html=html,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    """A rolled-back change sends nothing."""
    session.info.pop(PENDING_KEY, None)


def dispatch_committed() -> None:
    """Hand the messages committed just now to rq, or to this process's courier thread."""
    ids = db.session.info.pop(PENDING_KEY, [])
    if not ids:
        return
    if current_app.config.get("REDIS_URL"):
        delivery.relay(ids)
    else:
        # After the response, not during it: a dead mail server must not hold the request.
        courier.for_app(running_app()).submit(ids)
