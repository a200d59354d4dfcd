"""Believe X-Forwarded-* headers only from the number of proxies the operator names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxies:
    """WSGI middleware: Werkzeug's ProxyFix for TRUSTED_PROXIES hops, nothing when it is 0.

    With no proxy trusted, X-Forwarded-For is whatever the client wrote, so rate limits
    use the socket's address. Behind one proxy (nginx), TRUSTED_PROXIES=1 makes each
    person's own address count instead of the proxy's, which everyone would share.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.inner = app.wsgi_app
        self._fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Rewrite the request's address, scheme, host and prefix from trusted headers."""
        hops = int(self.app.config.get("TRUSTED_PROXIES") or 0)
        if hops <= 0:
            return self.inner(environ, start_response)
        if hops not in self._fixes:
            self._fixes[hops] = ProxyFix(
                self.inner, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
            )
        return self._fixes[hops](environ, start_response)


def init_app(app: Flask) -> None:
    """Put the middleware in front of the app."""
    app.wsgi_app = TrustedProxies(app)  # type: ignore[method-assign]
