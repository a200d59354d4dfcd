"""Mail without Redis: one background thread per process delivers after the response.

A request only hands the committed ids over (messages to send, notices to expand into
messages), so filing a ticket never waits for the rendering of its mail nor the mail
server. The same thread runs the relay every MAIL_RELAY_SECONDS: overdue notices are
expanded, and rows that failed, or whose delivery died with a process, are retried once due.
It works the same under the flask development server and gunicorn (sync or threaded
workers): each process starts its own courier on first use, after any fork.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Iterable

from flask import Flask

from ..extensions import db, running_app
from . import delivery, fanout

EXTENSION = "outbox_courier"
# At interpreter exit, mail handed over but not attempted yet gets this long to go out.
EXIT_GRACE_SECONDS = 5.0
_lock = threading.Lock()


class Courier:
    """A background thread that delivers submitted outbox ids and runs the relay."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self._ids: list[int] = []
        self._notices: list[int] = []
        self._busy = False
        self._relay_at = 0.0  # monotonic time of the next relay run
        self._changed = threading.Condition()
        threading.Thread(target=self._run, name="outbox-courier", daemon=True).start()

    def submit(self, ids: Iterable[int], notices: Iterable[int] = ()) -> None:
        """Hand committed outbox ids over for delivery, and notices for expansion."""
        with self._changed:
            self._ids.extend(ids)
            self._notices.extend(notices)
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every submitted id has had its attempt; False on timeout."""
        with self._changed:
            return self._changed.wait_for(self._idle, timeout)

    def _idle(self) -> bool:
        """Nothing handed over waits, and no delivery runs (call with the lock held)."""
        return not self._ids and not self._notices and not self._busy

    def _take(self) -> tuple[list[int], list[int], bool]:
        """Wait for work or the next relay run: the ids, the notices, whether the relay is due."""
        with self._changed:
            while True:
                every = float(self.app.config.get("MAIL_RELAY_SECONDS") or 0)
                now = time.monotonic()
                relay_due = every > 0 and now >= self._relay_at
                if self._ids or self._notices or relay_due:
                    break
                self._changed.wait(self._relay_at - now if every > 0 else None)
            if relay_due:
                self._relay_at = now + every
            ids, self._ids = self._ids, []
            notices, self._notices = self._notices, []
            self._busy = True
            return ids, notices, relay_due

    def _run(self) -> None:
        """Deliver forever; an error is logged and the thread goes on."""
        while True:
            ids, notices, relay_due = self._take()
            try:
                with self.app.app_context():
                    try:
                        self._deliver(ids, notices, relay_due)
                    finally:
                        db.session.remove()
            except Exception:  # noqa: BLE001 - a database hiccup must not stop mail for good
                self.app.logger.exception("In-process mail delivery failed")
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    @staticmethod
    def _deliver(ids: list[int], notices: list[int], relay_due: bool) -> None:
        """Expand the notices, attempt their messages and the handed-over ids, then the relay."""
        for notice_id in notices:
            ids.extend(fanout.expand(notice_id))
        for message_id in ids:
            if delivery.attempt(message_id) is delivery.Outcome.DOWN:
                return  # the rest stay pending for the relay rather than each time out
        if relay_due:
            fanout.relay_pass()


def for_app(app: Flask) -> Courier:
    """This process's courier for the app, started on first use."""
    with _lock:
        courier = app.extensions.get(EXTENSION)
        if courier is None or courier.pid != os.getpid():
            courier = Courier(app)
            app.extensions[EXTENSION] = courier
            # Daemon threads still run during atexit: a clean exit lets handed-over mail go.
            atexit.register(courier.wait_idle, EXIT_GRACE_SECONDS)
        return courier


def _start_with_first_request() -> None:
    """Start the courier, so rows left over from before a restart are retried soon."""
    app = running_app()
    if not app.config.get("REDIS_URL") and app.config.get("MAIL_RELAY_SECONDS"):
        for_app(app)


def init_app(app: Flask) -> None:
    """Without Redis, each process starts its courier with the first request it serves."""
    app.before_request(_start_with_first_request)


def wait_idle(app: Flask, timeout: float = 60.0) -> bool:
    """Wait for this process's courier to finish what it was handed (tests, shutdown)."""
    courier = app.extensions.get(EXTENSION)
    if courier is None or courier.pid != os.getpid():
        return True
    return courier.wait_idle(timeout)
