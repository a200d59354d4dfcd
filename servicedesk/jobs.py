"""rq's entry points: each gets the app from one factory helper, then calls one service.

Jobs take ids, never ORM objects. Under `flask worker` they run inside its app context;
under rq's own `rq worker` command the app is built once per process from the environment.
This module sits beside `cli.py` at the top (it builds the app), so no service imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, has_app_context

from . import create_app
from .notifications import delivery, fanout
from .reports.jobs import run_export
from .sla.recompute import run_attempt

_app: Flask | None = None


@contextmanager
def app_context() -> Iterator[None]:
    """The running app's context, or that of an app built once for this worker process."""
    global _app
    if has_app_context():
        yield
        return
    if _app is None:
        _app = create_app()
    with _app.app_context():
        yield


def deliver_job(message_id: int) -> bool:
    """Deliver one outbox message.

    A failed attempt is not raised to rq: the row is pending again with its backoff, and the
    relay queues it once it is due, so the outbox alone decides when mail is retried.
    """
    with app_context():
        return delivery.deliver(message_id)


def notice_job(notice_id: int) -> int:
    """Write a notice's messages (once, whoever else expands it) and queue them; how many."""
    with app_context():
        ids = fanout.expand(notice_id)
        # Those Redis cannot take now stay pending: the relay queues them.
        delivery.relay(ids)
        return len(ids)


def export_job(export_id: int, attempt: int | None = None) -> None:
    """Build one export (jobs queued before attempts existed carry no attempt)."""
    with app_context():
        run_export(export_id, attempt)


def recompute_job(run_id: int, attempt: int) -> None:
    """Work one attempt of "Recalcular tickets abiertos" from its cursor to the end."""
    with app_context():
        run_attempt(run_id, attempt)
