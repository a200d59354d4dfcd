"""Each role signs in through the browser and lands on its own home page."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("fixture", "home", "heading"),
    [
        ("client_user", "/mesa-de-ayuda/", "Mesa de ayuda"),
        ("collaborator", "/tablero/", "Tablero"),
        ("admin", "/tablero/", "Tablero"),
    ],
)
def test_role_signs_in_and_lands_home(request, page, artifacts_dir, fixture, home, heading):
    user = request.getfixturevalue(fixture)
    page.goto("/")
    assert page.locator("h1").inner_text() == "Inicia sesión en la mesa de ayuda"
    page.get_by_label("Correo electrónico").fill(user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"**{home}")
    assert heading in page.locator("h1").inner_text()
    assert page.get_by_test_id("current-user").inner_text() == user.name
    page.screenshot(path=str(artifacts_dir / f"home-{fixture}.png"), full_page=True)
    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url("**/login")
    assert "Cerraste la sesión." in page.content()


def test_wrong_password_shows_the_message_in_the_page(page, client_user):
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(client_user.email)
    page.get_by_label("Contraseña").fill("nope nope nope")
    page.get_by_role("button", name="Iniciar sesión").click()
    alert = page.get_by_role("alert").first.inner_text()
    assert alert == "El correo o la contraseña no son correctos."
    assert page.get_by_label("Correo electrónico").input_value() == client_user.email


def test_switch_to_english(page):
    page.goto("/login")
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Sign in to the service desk"
