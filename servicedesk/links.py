"""Links that leave the app (e-mail): always on BASE_URL, never on the request's Host."""

from __future__ import annotations

from typing import Any

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link to an endpoint at the configured public address.

    The request's Host header is the sender's to choose: a reset link built from it could
    point at an attacker's site. BASE_URL is the operator's.
    """
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path
