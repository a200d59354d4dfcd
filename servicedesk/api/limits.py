"""Per-token rate limits: a fixed window counted in Redis, or in this process without it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from flask import current_app


@dataclass
class Verdict:
    """Whether a request may pass, and what the RateLimit headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset: int


_lock = threading.Lock()
_counts: dict[tuple[str, int], int] = {}
_clients: dict[str, Any] = {}


def _count_in_memory(token_id: str, window: int) -> int:
    """Count this request in the process's own table (single-process deployments)."""
    with _lock:
        for key in [k for k in _counts if k[1] < window]:
            del _counts[key]  # older windows are over
        _counts[(token_id, window)] = _counts.get((token_id, window), 0) + 1
        return _counts[(token_id, window)]


def _count_in_redis(url: str, token_id: str, window: int, seconds: int) -> int | None:
    """Count this request in Redis, shared by every worker; None if Redis is unreachable."""
    try:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis.Redis.from_url(
                url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        key = f"servicedesk:api-rate:{token_id}:{window}"
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, seconds * 2)
        return int(pipe.execute()[0])
    except redis.RedisError:
        # A missing Redis must not take the API down: count locally meanwhile.
        current_app.logger.warning("rate limit: Redis unreachable, counting in memory")
        return None


def check(token_id: str) -> Verdict:
    """Count a request for a token and tell whether it is within API_RATE_LIMIT.

    Tokens are counted under part of their digest: unique, and never reused like a row id.
    """
    limit = int(current_app.config["API_RATE_LIMIT"])
    seconds = int(current_app.config["API_RATE_WINDOW"])
    now = time.time()
    window = int(now // seconds)
    url = current_app.config.get("REDIS_URL")
    used = _count_in_redis(url, token_id, window, seconds) if url else None
    if used is None:
        used = _count_in_memory(token_id, window)
    reset = int((window + 1) * seconds - now) + 1
    return Verdict(used <= limit, limit, max(0, limit - used), reset)
