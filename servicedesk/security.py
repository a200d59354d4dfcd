"""Response headers that every page carries."""

from __future__ import annotations

from flask import Flask, Response


def init_app(app: Flask) -> None:
    """Add a Content-Security-Policy and the usual hardening headers."""

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
