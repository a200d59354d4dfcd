"""The rq queues by name: mail, exports, and scheduled (reserved for the SLA timers).

Delivery, the exports and `flask worker` get their queues here, so the Redis settings and
each queue's rq name are read in one place and every side agrees on where a job goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue


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
