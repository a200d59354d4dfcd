"""Playwright driving Debian's Chromium, headless, against the live test server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """Open a fresh browser context (no cookies) with a page on the live server."""
    context = browser.new_context(base_url=live_server, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
