"""Layout: navigation per role, Spanish by default, English on request, error pages."""

from __future__ import annotations

import pytest

from servicedesk import create_app
from servicedesk.extensions import db
from servicedesk.models import User
from tests.conftest import NO_TIMERS, csrf_token, login


def test_login_page_is_spanish_by_default_and_served_without_cdn(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Inicia sesión en la mesa de ayuda" in page
    assert "cdn" not in page.lower() and "https://" not in page
    css = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert css.status_code == 200 and b"Bootstrap" in css.data
    css.close()


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("fixture", "present", "absent"),
    [
        ("client_user", ["Mesa de ayuda"], ["Tablero", "Administración"]),
        ("collaborator", ["Tablero"], ["Mesa de ayuda</a>", "Administración → Service Desk"]),
        ("admin", ["Tablero", "Administración → Service Desk"], ["Mesa de ayuda</a>"]),
    ],
)
def test_navigation_per_role(request, client, fixture, present, absent):
    user = request.getfixturevalue(fixture)
    login(client, user.email)
    page = client.get("/").headers["Location"]
    html = client.get(page).get_data(as_text=True)
    nav = html.split("</nav>")[0]
    for text in present:
        assert text in nav
    for text in absent:
        assert text not in nav


@pytest.mark.parametrize(
    ("fixture", "path", "status"),
    [
        ("client_user", "/tablero/", 403),
        ("client_user", "/administracion/", 403),
        ("collaborator", "/administracion/", 403),
        ("collaborator", "/mesa-de-ayuda/", 403),
        ("admin", "/administracion/usuarios", 200),
        ("collaborator", "/tablero/", 200),
    ],
)
def test_role_pages(request, client, fixture, path, status):
    login(client, request.getfixturevalue(fixture).email)
    assert client.get(path).status_code == status


@pytest.mark.parametrize("path", ["/tablero/", "/mesa-de-ayuda/", "/administracion/"])
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_language_switch_for_anonymous_visitors(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in to the service desk" in page


def test_language_choice_is_kept_on_the_user(client, client_user):
    login(client, client_user.email)
    token = csrf_token(client.get("/mesa-de-ayuda/").get_data(as_text=True))
    client.post("/language", data={"lang": "en", "csrf_token": token})
    assert db.session.get(User, client_user.id).language == "en"
    assert "My tickets" in client.get("/mesa-de-ayuda/").get_data(as_text=True)


def test_unknown_language_is_refused(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/language", data={"lang": "xx", "csrf_token": token})
    assert response.status_code == 400


def test_not_found_page_in_spanish(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "No encontramos esa página." in response.get_data(as_text=True)


def test_too_large_request_gets_a_friendly_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/login", data={"email": "x" * 5000})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024
    assert response.status_code == 413
    assert "El archivo es demasiado grande" in response.get_data(as_text=True)


def test_unexpected_error_renders_the_500_page(app, tmp_path):
    fresh = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            **NO_TIMERS,
        }
    )

    @fresh.get("/_boom_for_test")
    def boom():
        raise RuntimeError("boom")

    response = fresh.test_client().get("/_boom_for_test")
    assert response.status_code == 500
    assert "No se perdió nada de lo que guardaste" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/login", "/tablero/?q=a%00b", "/mesa-de-ayuda/?q=%00"])
def test_nul_bytes_anywhere_get_a_400_not_a_database_error(client, collaborator, path):
    login(client, collaborator.email)
    token = csrf_token(client.get("/tablero/").get_data(as_text=True))
    if path == "/login":
        response = client.post("/language", data={"lang": "es\x00", "csrf_token": token})
    else:
        response = client.get(path)
    assert response.status_code == 400


def test_a_multipart_part_without_a_name_is_not_a_500(client, collaborator):
    """Found by Schemathesis: a part with no name reached the NUL check as None."""
    login(client, collaborator.email)
    body = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
        b'--b\r\nContent-Disposition: form-data; name="lang"\r\n\r\nen\r\n--b--\r\n'
    )
    response = client.post("/language", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400 and "lang" not in response.headers.get("Set-Cookie", "")
