"""Response headers that every page carries."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, request


def _has_nul(values: Any) -> bool:
    """Tell whether any submitted text value holds a NUL byte."""
    return any(isinstance(value, str) and "\x00" in value for value in values)


def init_app(app: Flask) -> None:
    """Refuse NUL bytes in input; add a Content-Security-Policy and hardening headers."""

    def refuse_nul_bytes() -> None:
        # No legitimate text holds NUL, and PostgreSQL refuses it in text columns: stop it
        # here for every route with one clear 400 rather than a database error somewhere.
        if _has_nul(request.args.values()) or _has_nul(request.args.keys()):
            abort(400)
        # The API's multipart file parts may hold any byte: its contract checks the text
        # parts itself (api/contract.py), with a message per part.
        values = () if request.path.startswith("/api/") else request.form.values()
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and (
            _has_nul(values)
            or _has_nul(request.form.keys())
            or None in request.form
            or None in request.files
        ):
            abort(400)  # a part without a name is malformed (and crashes Flask-WTF's CSRF)

    # First of all before-request hooks, ahead of the CSRF check that reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_bytes)

    @app.after_request
    def harden(response: Response) -> Response:
        # Everything is served by the app itself: no CDN, no inline script.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
