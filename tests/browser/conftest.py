"""Playwright driving Debian's Chromium, headless, against the live test server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Background networking off: this machine's network is closed, and nothing should phone home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Start one headless Chromium for the session."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        require_service("chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """Open a fresh browser context (no cookies) with a page on the live server."""
    context = browser.new_context(base_url=live_server, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
