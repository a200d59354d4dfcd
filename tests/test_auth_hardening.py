"""Sessions that end at logout, links that ignore the Host header, limits that lock out no
one else, and timing that does not tell which accounts exist."""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import func, select

from servicedesk import config as settings
from servicedesk.extensions import db
from servicedesk.models import LoginSession, OutboxMessage, Role
from tests.conftest import PASSWORD, csrf_token, login, post_form


def logout(client) -> None:
    """Sign out through the menu's form."""
    page = client.get("/mesa-de-ayuda/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302


def cookie(client, name: str) -> str | None:
    """The value of a cookie the browser holds."""
    found = client.get_cookie(name)
    return found.value if found else None


# ---------------------------------------------------------------- logout ends the session


def test_a_session_cookie_saved_before_logout_opens_nothing_after(app, client_user):
    browser = app.test_client()
    login(browser, client_user.email)
    saved = cookie(browser, "session")
    assert browser.get("/mesa-de-ayuda/").status_code == 200
    logout(browser)
    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert thief.get("/mesa-de-ayuda/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_the_remember_cookie_dies_with_logout_and_is_samesite(app, client_user):
    browser = app.test_client()
    token = csrf_token(browser.get("/login").get_data(as_text=True))
    answer = browser.post(
        "/login",
        data={
            "email": client_user.email,
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    set_cookie = " ".join(answer.headers.getlist("Set-Cookie"))
    assert "remember_token=" in set_cookie
    remember_header = next(
        h for h in answer.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
    )
    assert "SameSite=Lax" in remember_header and "HttpOnly" in remember_header
    saved = cookie(browser, "remember_token")
    # The cookie alone (no session) signs the browser in ...
    fresh = app.test_client()
    fresh.set_cookie("remember_token", saved)
    assert fresh.get("/mesa-de-ayuda/").status_code == 200
    logout(browser)
    # ... until its owner logs out.
    stolen = app.test_client()
    stolen.set_cookie("remember_token", saved)
    assert stolen.get("/mesa-de-ayuda/").status_code == 302


def test_logging_out_on_one_device_keeps_the_other_signed_in(app, client_user):
    phone, office = app.test_client(), app.test_client()
    login(phone, client_user.email)
    login(office, client_user.email)
    logout(phone)
    assert phone.get("/mesa-de-ayuda/").status_code == 302
    assert office.get("/mesa-de-ayuda/").status_code == 200


def test_a_password_change_ends_every_session(app, client_user):
    phone, office = app.test_client(), app.test_client()
    login(phone, client_user.email)
    login(office, client_user.email)
    post_form(phone, "/password/forgot", {"email": client_user.email})
    client_user = db.session.merge(client_user)
    client_user.set_password("a completely new secret")
    db.session.commit()
    assert phone.get("/mesa-de-ayuda/").status_code == 302
    assert office.get("/mesa-de-ayuda/").status_code == 302


# ---------------------------------------------------------------- links from BASE_URL


def test_reset_and_invitation_links_ignore_the_host_header(
    app, client, client_user, admin, monkeypatch
):
    monkeypatch.setitem(app.config, "BASE_URL", "https://desk.example.com")
    evil = {"Host": "evil.example"}
    token = csrf_token(client.get("/password/forgot", headers=evil).get_data(as_text=True))
    answer = client.post(
        "/password/forgot", headers=evil, data={"email": client_user.email, "csrf_token": token}
    )
    assert answer.status_code == 302
    web = app.test_client()
    login(web, admin.email)
    post_form(
        web,
        "/administracion/usuarios",
        {"name": "Nuevo", "email": "new@example.org", "role": Role.CLIENT, "language": "es"},
    )
    bodies = db.session.scalars(select(OutboxMessage.body_text)).all()
    assert len(bodies) == 2, bodies
    for body in bodies:
        assert "evil.example" not in body and "localhost" not in body
        assert "https://desk.example.com/" in body


def test_production_refuses_to_start_without_base_url(tmp_path):
    env = {"SERVICEDESK_ENV": "production", "SECRET_KEY": "x" * 40}
    with pytest.raises(settings.ConfigError, match="BASE_URL"):
        settings.load(env, tmp_path)
    loaded = settings.load({**env, "BASE_URL": "https://desk.example.com"}, tmp_path)
    assert loaded["BASE_URL"] == "https://desk.example.com"


def test_trusted_hosts_refuse_other_host_headers(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["desk.example.com"])
    assert client.get("/login", headers={"Host": "desk.example.com"}).status_code == 200
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400


# ---------------------------------------------------------------- limits and timing


def login_from(client, address: str, email: str, password: str):
    """Log in as a browser behind the office proxy, which forwards its address."""
    page = client.get("/login", headers={"X-Forwarded-For": address}).get_data(as_text=True)
    return client.post(
        "/login",
        headers={"X-Forwarded-For": address},
        data={"email": email, "password": password, "csrf_token": csrf_token(page)},
    )


def test_made_up_addresses_from_one_office_lock_out_no_one(app, client_user, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    office = app.test_client()
    for n in range(30):
        assert login_from(office, "10.0.0.7", f"nobody{n}@example.org", "x").status_code == 200
    colleague = app.test_client()
    assert login_from(colleague, "10.0.0.7", client_user.email, PASSWORD).status_code == 302


def test_guessing_one_password_is_stopped_for_that_address_only(app, client_user, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    guesser = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login_from(guesser, "203.0.113.9", client_user.email, "guess")
    assert login_from(guesser, "203.0.113.9", client_user.email, PASSWORD).status_code == 429
    # The owner, from their own address, still gets in.
    owner = app.test_client()
    assert login_from(owner, "198.51.100.4", client_user.email, PASSWORD).status_code == 302


def test_guessing_spread_over_many_addresses_is_stopped_per_account(app, client_user, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 8)
    botnet = app.test_client()
    for n in range(8):
        login_from(botnet, f"192.0.2.{n}", client_user.email, "guess")
    assert login_from(botnet, "192.0.2.200", client_user.email, PASSWORD).status_code == 429


def test_without_trusted_proxies_forwarded_for_is_ignored(app, client_user):
    guesser = app.test_client()
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        login_from(guesser, f"192.0.2.{n}", client_user.email, "guess")
    # Each attempt claimed another address, but the socket's address is what counts.
    assert login_from(guesser, "192.0.2.99", client_user.email, PASSWORD).status_code == 429


def test_reset_mails_are_limited_per_address_and_hour(app, client, client_user, monkeypatch):
    for _ in range(20):
        answer = post_form(client, "/password/forgot", {"email": client_user.email})
        assert answer.status_code == 302
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert sent == app.config["RESET_MAILS_PER_HOUR"] == 3


def test_a_wrong_password_takes_as_long_for_unknown_accounts(app, client_user, monkeypatch):
    # The real hash: with the suite's cheap one the difference would be too small to see.
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 100)
    client_user = db.session.merge(client_user)
    client_user.set_password(PASSWORD)
    db.session.commit()
    web = app.test_client()
    token = csrf_token(web.get("/login").get_data(as_text=True))

    def timed(email: str) -> float:
        start = time.perf_counter()
        web.post("/login", data={"email": email, "password": "wrong", "csrf_token": token})
        return time.perf_counter() - start

    known = statistics.median(timed(client_user.email) for _ in range(5))
    unknown = statistics.median(timed("nobody@example.org") for _ in range(5))
    # Before: ~650 ms against ~70 ms. Now both pay one scrypt check.
    assert unknown > 0.6 * known, (known, unknown)
