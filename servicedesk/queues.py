"""The rq queues by name: mail, exports, and scheduled (reserved for the SLA timers).

Delivery, the exports and `flask worker` get their queues here, so the Redis settings and
each queue's rq name are read in one place and every side agrees on where a job goes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job


class QueueName(StrEnum):
    """What a queue carries."""

    MAIL = "mail"
    EXPORTS = "exports"
    SCHEDULED = "scheduled"  # reserved for the SLA timers: nothing is queued there yet


# The setting that holds each queue's rq name (RQ_QUEUE is older than the other queues).
CONFIG_KEYS = {
    QueueName.MAIL: "RQ_QUEUE",
    QueueName.EXPORTS: "EXPORT_QUEUE",
    QueueName.SCHEDULED: "SCHEDULED_QUEUE",
}
# The queues `flask worker` works, in the order it takes their jobs: mail first.
WORKED = (QueueName.MAIL, QueueName.EXPORTS)


def rq_name(name: QueueName, config: Mapping[str, Any]) -> str:
    """The name rq knows a queue by, from the settings."""
    return str(config[CONFIG_KEYS[name]])


def connection() -> Redis:
    """A Redis client that gives up quickly, so a dead Redis never holds a request for long.

    A fresh client each time, as every caller had before: this keeps no socket between
    calls that a Redis restart could leave dead.
    """
    return Redis.from_url(
        current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
    )


def queue(name: QueueName) -> Queue:
    """The rq queue of that name, on a fresh quick-to-give-up connection."""
    return Queue(rq_name(name, current_app.config), connection=connection())


def job_lost(job_id: str) -> bool:
    """Whether Redis no longer holds a job it was given (restarted without persistence)."""
    return not Job.exists(job_id, connection=connection())


def stale_before() -> datetime:
    """Heartbeats of a background run older than this belong to a worker that is gone."""
    return datetime.now(UTC) - timedelta(seconds=current_app.config["EXPORT_STALE_SECONDS"])


def on_rq_or_in_thread(
    app: Flask,
    label: str,
    enqueue: Callable[[], object],
    beat: Callable[[], object],
    work: Callable[[], object],
) -> None:
    """Hand a background run to rq (`enqueue`), or work it in a thread of this process.

    A thread without Redis, and also when Redis cannot take the job: the run goes on either
    way. A thread lives as long as this process, so the run's heartbeat is written first
    (`beat`): if the process dies before the thread takes the run, it is still seen stopped.
    The thread works in an app context of its own (its session removed at the end).
    """
    if app.config.get("REDIS_URL"):
        try:
            enqueue()
            return
        except (RedisError, OSError) as exc:
            app.logger.warning("Redis unavailable, %s runs in-process: %s", label, exc)
    beat()

    def run() -> None:
        with app.app_context():
            work()

    threading.Thread(target=run, name=label, daemon=True).start()
