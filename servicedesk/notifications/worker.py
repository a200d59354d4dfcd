"""`flask worker`: an rq worker that outlives Redis restarts, with the outbox relay inside.

rq's own loop quits on some Redis errors (a suspension check or a heartbeat while Redis is
down); this loop waits for Redis to answer again and starts a fresh rq worker. The relay runs
in a thread beside it every MAIL_RELAY_SECONDS, so no cron job is needed: it takes back the
rows whose lease ended (jobs a Redis restart lost, deliveries that died) and queues what is
due, including retries after their backoff. Timers the caller hands over (the service-level
escalation) run the same way, each in its own thread at its own pace.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import cast

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.exceptions import StopRequested

from .. import queues
from ..extensions import db
from . import fanout

log = logging.getLogger("servicedesk.worker")
# Longest pause between two pings while Redis is away.
MAX_WAIT_SECONDS = 5.0


_stopping = threading.Event()


class MailWorker(SimpleWorker):
    """rq's worker without a fork per job, noting a stop request so the loop does not restart it.

    Not the forking worker: the relay thread beside it may be inside SQLite, libpq or a pool
    lock at the instant of a fork, and the forked job then waits on that lock forever (seen
    under load: a job hung before its first query). Jobs run in this process, one at a time;
    rq's job timeout still applies (SIGALRM in the main thread).
    """

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """Note the stop request, then let rq finish the current job and stop."""
        _stopping.set()
        super().request_stop(signum, frame)


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    """Stop while no rq worker is running (waiting for Redis)."""
    _stopping.set()
    raise SystemExit(128 + signum)


Chore = Callable[[], object]
# A job run every app.config[key] seconds (0: only once, at the start), and its setting.
Timer = tuple[str, Chore]


def _relay_once(app: Flask, chores: Sequence[Chore] = ()) -> None:
    """One relay run (and the caller's chores) in an app context; failures are logged."""
    with app.app_context():
        for chore in (fanout.relay_pass, *chores):
            try:
                chore()
            except Exception:  # noqa: BLE001 - a database outage must not end the relay
                log.exception("Relay run failed (%s); trying again", chore.__name__)
                db.session.rollback()
        db.session.remove()


def relay_forever(app: Flask, stop: threading.Event, chores: Sequence[Chore] = ()) -> None:
    """Run the relay now and then every MAIL_RELAY_SECONDS (0: once) until stop is set."""
    while True:
        _relay_once(app, chores)
        every = float(app.config["MAIL_RELAY_SECONDS"])
        if every <= 0 or stop.wait(every):
            return


def _timer_once(app: Flask, job: Chore) -> None:
    """One run of a timer's job in an app context; a failure is logged, never raised."""
    with app.app_context():
        try:
            job()
        except Exception:  # noqa: BLE001 - a database outage must not end the timer
            log.exception("%s failed; trying again at its next run", job.__name__)
            db.session.rollback()
        db.session.remove()


def repeat_forever(app: Flask, stop: threading.Event, timer: Timer) -> None:
    """Run a timer's job now and then every app.config[key] seconds until stop is set.

    The wait is measured from the end of a run, so runs never overlap in one worker.
    """
    key, job = timer
    while True:
        _timer_once(app, job)
        every = float(app.config.get(key) or 0)
        if every <= 0 or stop.wait(every):
            return


def _wait_for_redis(url: str) -> Redis:
    """Return a connection once Redis answers, pinging with a growing pause meanwhile."""
    pause = 0.2
    while True:
        connection = Redis.from_url(url)
        try:
            connection.ping()
            return connection
        except (RedisError, OSError) as exc:
            log.warning("Redis is not answering (%s); trying again in %.1f s", exc, pause)
        time.sleep(pause)
        pause = min(pause * 2, MAX_WAIT_SECONDS)


def _work_once(connection: Redis, queues: list[str], burst: bool) -> None:
    """Run one rq worker until it returns, or until Redis fails under it."""
    worker: MailWorker | None = None
    try:
        worker = MailWorker(queues, connection=connection)  # asks Redis things already
        worker.work(burst=burst, logging_level="INFO")
    except (RedisError, OSError) as exc:
        log.warning("Redis went away under the worker (%s); waiting for it", exc)
        # rq's teardown failed before it stopped its pub/sub thread: stop it here.
        thread = getattr(worker, "pubsub_thread", None)
        if thread is not None:
            thread.stop()
        return
    if not burst and not _stopping.is_set():
        log.warning("The rq worker quit by itself; starting a new one")


def run(
    app: Flask, burst: bool = False, chores: Sequence[Chore] = (), timers: Sequence[Timer] = ()
) -> None:
    """Work the mail queue, then exports, until stopped, reconnecting after Redis outages.

    chores run beside the outbox relay, as often (the CLI adds the exports' recovery);
    timers each in a thread of their own at their own pace (the service-level escalation).
    They need the database only, so they go on while Redis is away.
    """
    url = app.config["REDIS_URL"]
    names = [queues.rq_name(name, app.config) for name in queues.WORKED]  # mail first
    stop = threading.Event()
    if burst:
        for _key, job in timers:
            _timer_once(app, job)  # their mail is queued before the drain
        _relay_once(app, chores)  # due retries and lost jobs are queued before the drain
    else:
        threading.Thread(
            target=relay_forever, args=(app, stop, chores), name="outbox-relay", daemon=True
        ).start()
        for timer in timers:
            threading.Thread(
                target=repeat_forever, args=(app, stop, timer), name=timer[0], daemon=True
            ).start()
    try:
        while not _stopping.is_set():
            # rq installs its own handlers while it works; these cover the waits between.
            signal.signal(signal.SIGTERM, _exit_on_signal)
            signal.signal(signal.SIGINT, _exit_on_signal)
            try:
                _work_once(_wait_for_redis(url), names, burst)
            except StopRequested:
                return
            if burst:
                return
            time.sleep(0.5)  # never spin if rq keeps quitting at once
    finally:
        stop.set()


# ------------------------------------------------------------------ the embedded mode's timers


class Ticker:
    """A thread of this process that runs a job every `key` seconds (no Redis, no worker)."""

    def __init__(self, app: Flask, name: str, key: str, job: Callable[[], object]) -> None:
        self.app, self.name, self.key, self.job = app, name, key, job
        self.pid = os.getpid()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        """Run the job, then wait; an error is logged and the next run comes as usual."""
        while not self.stopped.is_set():
            try:
                with self.app.app_context():
                    try:
                        self.job()
                    finally:
                        db.session.remove()
            except Exception:  # noqa: BLE001 - a database hiccup must not stop the timer
                self.app.logger.exception("%s failed", self.name)
            every = float(self.app.config.get(self.key) or 0)
            if every <= 0 or self.stopped.wait(every):
                return

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current run."""
        self.stopped.set()
        self.thread.join(timeout)


_tickers = threading.Lock()


def ticker_key(name: str) -> str:
    """Where a ticker is kept among the app's extensions."""
    return f"ticker:{name}"


def ticker_for(app: Flask, name: str, key: str, job: Callable[[], object]) -> Ticker:
    """This process's ticker of that name, started on first use (again after a fork)."""
    with _tickers:
        ticker = app.extensions.get(ticker_key(name))
        if ticker is None or ticker.pid != os.getpid() or not ticker.thread.is_alive():
            ticker = Ticker(app, name, key, job)
            app.extensions[ticker_key(name)] = ticker
        return cast(Ticker, ticker)


def stop_ticker(app: Flask, name: str) -> None:
    """Stop this process's ticker of that name, if it runs (tests, shutdown)."""
    ticker = app.extensions.pop(ticker_key(name), None)
    if ticker is not None:
        ticker.stop()


def tick_without_redis(app: Flask, name: str, key: str, job: Callable[[], object]) -> None:
    """Without Redis (no worker), each web process runs the job itself from its first request."""

    def start() -> None:
        ticker = app.extensions.get(ticker_key(name))
        if ticker is not None and ticker.pid == os.getpid():
            return
        if not app.config.get("REDIS_URL") and app.config.get(key):
            ticker_for(app, name, key, job)

    app.before_request(start)
