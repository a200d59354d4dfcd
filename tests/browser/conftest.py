"""Playwright driving Debian's Chromium, headless, against the live test server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """Open a fresh browser context (no cookies) with a page on the live server."""
    context = browser.new_context(base_url=live_server, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(browser, live_server, email: str, locale: str = "es-ES"):
    """A fresh browser context (in the browser's own locale) signed in as one person; its page."""
    context = browser.new_context(base_url=live_server, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page
