"""Login, logout, rate limiting, password reset and invitations, end to end over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from servicedesk.extensions import db
from servicedesk.models import AuthToken, LoginAttempt, Role, TokenPurpose, User, utcnow
from tests.conftest import PASSWORD, Mailbox, csrf_token, login, make_user, post_form

LINK_RE = re.compile(r"http://localhost(/(?:password/reset|invitation)/[A-Za-z0-9_\-]+)")


def link_in(message) -> str:
    """Return the path of the one-time link in a mail."""
    match = LINK_RE.search(Mailbox.text_of(message))
    assert match, Mailbox.text_of(message)
    return match.group(1)


# ---------------------------------------------------------------- login and logout


def test_wrong_password_is_refused_with_a_message_and_recorded(client, client_user):
    response = login(client, client_user.email, "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "El correo o la contraseña no son correctos." in page
    assert f'value="{client_user.email}"' in page  # what they typed is kept
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
    assert client.get("/mesa-de-ayuda/").status_code == 302


def test_login_is_case_insensitive_on_email(client, client_user):
    assert login(client, client_user.email.upper()).headers["Location"] == "/mesa-de-ayuda/"


def test_rate_limit_blocks_even_the_right_password(app, client, client_user):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, client_user.email, "wrong-password").status_code == 200
    blocked = login(client, client_user.email, PASSWORD)
    assert blocked.status_code == 429
    assert "Demasiados intentos fallidos" in blocked.get_data(as_text=True)
    assert client.get("/mesa-de-ayuda/").status_code == 302
    # Once the window has passed the user may try again.
    db.session.execute(db.update(LoginAttempt).values(at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert login(client, client_user.email).headers["Location"] == "/mesa-de-ayuda/"


def test_rate_limit_per_address_covers_many_emails(app, client, client_user):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    try:
        for n in range(3):
            login(client, f"nobody{n}@example.org", "x")
        assert login(client, client_user.email).status_code == 429
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_IP"] = 500


def test_deactivated_user_cannot_log_in_and_loses_nothing(client, client_user):
    client_user.active = False
    db.session.commit()
    response = login(client, client_user.email)
    assert "El correo o la contraseña no son correctos." in response.get_data(as_text=True)
    user = db.session.get(User, client_user.id)
    assert user is not None and user.password_hash and user.email == client_user.email


def test_deactivation_ends_an_open_session(client, client_user):
    login(client, client_user.email)
    assert client.get("/mesa-de-ayuda/").status_code == 200
    user = db.session.get(User, client_user.id)
    user.active = False
    db.session.commit()
    assert client.get("/mesa-de-ayuda/").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
    ],
)
def test_next_parameter_never_leaves_the_site(client, collaborator, target):
    response = login(client, collaborator.email, next_url=target)
    assert response.headers["Location"] == "/tablero/"


def test_next_parameter_keeps_local_paths(client, admin):
    response = login(client, admin.email, next_url="/administracion/usuarios")
    assert response.headers["Location"] == "/administracion/usuarios"


def test_login_without_csrf_token_is_refused(client, client_user):
    response = client.post("/login", data={"email": client_user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/mesa-de-ayuda/").status_code == 302


def test_session_is_renewed_at_login(client, client_user):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, client_user.email)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_needs_post_and_csrf(client, client_user):
    login(client, client_user.email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/mesa-de-ayuda/").status_code == 200
    page = client.get("/mesa-de-ayuda/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/login"
    assert client.get("/mesa-de-ayuda/").status_code == 302


def test_password_change_ends_other_sessions(client, app, client_user):
    login(client, client_user.email)
    user = db.session.get(User, client_user.id)
    user.set_password("another long password")
    db.session.commit()
    assert client.get("/mesa-de-ayuda/").status_code == 302


# ---------------------------------------------------------------- password reset


def request_reset(client, email: str):
    """Ask for a reset link through the form."""
    return post_form(client, "/password/forgot", {"email": email})


def test_reset_end_to_end_through_real_smtp(client, client_user, mailbox):
    response = request_reset(client, client_user.email)
    assert response.headers["Location"] == "/login"
    [message] = mailbox.to(client_user.email)
    assert message["Subject"] == "Restablece tu contraseña"
    path = link_in(message)
    token_value = path.rsplit("/", 1)[1]
    stored = db.session.scalars(select(AuthToken.token_hash)).all()
    assert token_value not in stored  # only a hash is kept
    response = post_form(
        client, path, {"password": "brand new secret", "confirm": "brand new secret"}
    )
    assert response.headers["Location"] == "/mesa-de-ayuda/"
    client.post(
        "/logout",
        data={"csrf_token": csrf_token(client.get("/mesa-de-ayuda/").get_data(as_text=True))},
    )
    assert login(client, client_user.email, PASSWORD).status_code == 200  # old one gone
    assert login(client, client_user.email, "brand new secret").status_code == 302


def test_reset_answer_is_identical_for_unknown_addresses(client, client_user, mailbox):
    known = request_reset(client, client_user.email)
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = request_reset(client, "nobody@example.org")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 302
    strip = re.compile(r'value="[^"]+"')
    assert strip.sub("", known_page) == strip.sub("", unknown_page)
    assert len(mailbox.messages) == 1


def test_reset_token_is_single_use(client, client_user, mailbox):
    request_reset(client, client_user.email)
    path = link_in(mailbox.to(client_user.email)[0])
    post_form(client, path, {"password": "brand new secret", "confirm": "brand new secret"})
    again = client.get(path)
    assert again.status_code == 404
    assert "Este enlace ya no es válido" in again.get_data(as_text=True)


def test_reset_token_expires(client, client_user, mailbox):
    request_reset(client, client_user.email)
    path = link_in(mailbox.to(client_user.email)[0])
    db.session.execute(db.update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(path).status_code == 404


def test_reset_token_lives_at_most_an_hour(client, client_user, mailbox):
    request_reset(client, client_user.email)
    token = db.session.scalars(select(AuthToken)).one()
    assert token.expires_at - token.created_at <= timedelta(hours=1)


def test_forged_token_is_refused(client, client_user):
    for forged in ("x", "A" * 43, "../../etc/passwd", "A" * 500):
        assert client.get(f"/password/reset/{forged}").status_code == 404


def test_password_change_voids_an_outstanding_token(client, client_user, mailbox):
    request_reset(client, client_user.email)
    path = link_in(mailbox.to(client_user.email)[0])
    user = db.session.get(User, client_user.id)
    user.set_password("changed elsewhere 123")
    db.session.commit()
    assert client.get(path).status_code == 404


def test_a_new_reset_voids_the_previous_link(client, client_user, mailbox):
    request_reset(client, client_user.email)
    request_reset(client, client_user.email)
    first, second = (link_in(m) for m in mailbox.to(client_user.email))
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_reset_form_keeps_errors_readable(client, client_user, mailbox):
    request_reset(client, client_user.email)
    path = link_in(mailbox.to(client_user.email)[0])
    response = post_form(client, path, {"password": "short", "confirm": "other"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Usa entre 10 y 200 caracteres." in page
    assert 'aria-invalid="true"' in page
    assert client.get(path).status_code == 200  # a failed attempt does not burn the token


def test_reset_mail_is_in_the_users_language(client, mailbox):
    make_user(Role.CLIENT, "english@example.org", language="en")
    request_reset(client, "english@example.org")
    [message] = mailbox.to("english@example.org")
    assert message["Subject"] == "Reset your password"
    assert "Someone asked to reset the password" in Mailbox.text_of(message)


# ---------------------------------------------------------------- invitations


def invite(client, **fields):
    """Post the invitation form as the signed-in administrator."""
    data = {
        "name": "Nuevo Colaborador",
        "email": "nuevo@example.org",
        "role": "collaborator",
        "language": "es",
        **fields,
    }
    return post_form(client, "/administracion/usuarios", data)


def test_invitation_end_to_end(client, admin, mailbox):
    login(client, admin.email)
    response = invite(client)
    assert response.headers["Location"] == "/administracion/usuarios"
    user = db.session.scalar(select(User).where(User.email == "nuevo@example.org"))
    assert user is not None and user.role == Role.COLLABORATOR and user.password_hash is None
    [message] = mailbox.to("nuevo@example.org")
    path = link_in(message)
    invited = client.application.test_client()
    page = invited.get(path)
    assert "Nuevo Colaborador" in page.get_data(as_text=True)
    done = post_form(
        invited, path, {"password": "my first password", "confirm": "my first password"}
    )
    assert done.headers["Location"] == "/tablero/"
    assert invited.get(path).status_code == 404  # reused
    fresh = client.application.test_client()
    assert login(fresh, "nuevo@example.org", "my first password").status_code == 302


def test_invited_user_cannot_log_in_before_accepting(client, admin, mailbox):
    login(client, admin.email)
    invite(client)
    other = client.application.test_client()
    assert login(other, "nuevo@example.org", "").status_code == 200
    assert login(other, "nuevo@example.org", "anything at all").status_code == 200


def test_invitation_expires(client, admin, mailbox):
    login(client, admin.email)
    invite(client)
    path = link_in(mailbox.to("nuevo@example.org")[0])
    db.session.execute(
        db.update(AuthToken)
        .where(AuthToken.purpose == TokenPurpose.INVITE)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    assert client.application.test_client().get(path).status_code == 404


def test_invitation_with_duplicate_email_keeps_the_form(client, admin, client_user):
    login(client, admin.email)
    response = invite(client, email=client_user.email, name="Duplicado")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ya existe un usuario con este correo." in page
    assert 'value="Duplicado"' in page


@pytest.mark.parametrize("fixture", ["client_user", "collaborator"])
def test_only_administrators_invite(request, client, fixture, mailbox):
    user = request.getfixturevalue(fixture)
    login(client, user.email)
    page = client.get("/mesa-de-ayuda/" if fixture == "client_user" else "/tablero/")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/administracion/usuarios",
        data={
            "name": "X",
            "email": "x@example.org",
            "role": "admin",
            "language": "es",
            "csrf_token": token,
        },
    )
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None
    assert mailbox.messages == []
