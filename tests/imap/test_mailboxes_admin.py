"""Administración → Buzones de correo: who may, what is checked, the password kept sealed, and
"Probar conexión" against a real Dovecot in the reader's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Area, Mailbox, Role
from servicedesk.secret_box import SecretError, seal, unseal
from tests.admin.helpers import make_area, token_for
from tests.conftest import PASSWORD, free_port, login, make_user
from tests.imap.conftest import add_mailbox

NEW = "/administracion/buzones/nuevo"


def form(area: Area, **changes: object) -> dict[str, object]:
    """A valid new-mailbox form, with changes."""
    data: dict[str, object] = {
        "name": "Seguridad",
        "address": "seguridad@example.org",
        "area_id": str(area.id),
        "ticket_type_id": "",
        "host": "imap.example.org",
        "port": "993",
        "security": "tls",
        "username": "seguridad@example.org",
        "password": "app-password-1234",
        "folder": "INBOX",
        "done_folder": "Procesados",
        "rejected_folder": "Rechazados",
        "active": "y",
    }
    data.update(changes)
    return data


def post(client, path: str, data: dict[str, object]):
    return client.post(path, data={**data, "csrf_token": token_for(client, NEW)})


def closed_port_mailbox(app, area: Area) -> Mailbox:
    """A mailbox on a loopback port nothing listens on."""
    mailbox = Mailbox(
        name="Cerrado",
        address="cerrado@example.org",
        area_id=area.id,
        host="127.0.0.1",
        port=free_port(),
        security="tls",
        username="nadie",
        password_sealed=seal(app.config["SECRET_KEY"], "x"),
    )
    db.session.add(mailbox)
    db.session.commit()
    return mailbox


@pytest.mark.parametrize("who", ["anonymous", "client", "collaborator", "admin"])
def test_only_administrators_reach_the_mailboxes(app, client, who):
    area = make_area("Seguridad")
    mailbox = closed_port_mailbox(app, area)
    if who != "anonymous":
        role = {"client": Role.CLIENT, "collaborator": Role.COLLABORATOR, "admin": Role.ADMIN}
        make_user(role[who], f"{who}@example.org")
        assert login(client, f"{who}@example.org").status_code == 302
    base = f"/administracion/buzones/{mailbox.id}"
    routes = [
        ("GET", "/administracion/buzones"),
        ("GET", NEW),
        ("POST", NEW),
        ("GET", base),
        ("POST", base),
        ("POST", f"{base}/probar"),
    ]
    for method, path in routes:
        if method == "GET":
            response = client.get(path)
        else:
            token = token_for(client, "/login" if who == "anonymous" else "/cuenta/notificaciones")
            data = {**form(area, name=f"Otro nombre {len(path)}"), "csrf_token": token}
            response = client.post(path, data=data)
        where = f"{who} {method} {path}"
        if who == "anonymous":
            assert response.status_code == 302 and "/login?next=" in response.location, where
        elif who != "admin":
            assert response.status_code == 403, where
        else:
            assert response.status_code in (200, 302), where
    names = set(db.session.scalars(select(Mailbox.name)))
    expected = {f"Otro nombre {len(NEW)}", f"Otro nombre {len(base)}"}
    expected = expected if who == "admin" else {"Cerrado"}
    assert names == expected
    if who == "admin":
        assert client.post(f"{base}/probar").status_code == 400  # no CSRF token


def test_a_mailbox_is_created_and_its_password_never_shown_back(app, client, admin):
    area = make_area("Seguridad")
    login(client, admin.email)
    response = post(client, NEW, form(area))
    assert response.status_code == 302
    mailbox = db.session.scalar(select(Mailbox))
    assert (mailbox.name, mailbox.area_id, mailbox.port, mailbox.security, mailbox.active) == (
        "Seguridad",
        area.id,
        993,
        "tls",
        True,
    )
    assert response.location == f"/administracion/buzones/{mailbox.id}"
    # Stored sealed: not the password, and it opens only with this SECRET_KEY.
    assert "app-password-1234" not in mailbox.password_sealed
    assert unseal(app.config["SECRET_KEY"], mailbox.password_sealed) == "app-password-1234"
    with pytest.raises(SecretError):
        unseal("another-secret-key-of-32-characters", mailbox.password_sealed)
    page = client.get(response.location).get_data(as_text=True)
    assert "app-password-1234" not in page and mailbox.password_sealed not in page
    # Saved again without a password: the stored one stays.
    sealed = mailbox.password_sealed
    assert post(client, response.location, form(area, password="", port="143")).status_code == 302
    db.session.expire_all()
    assert mailbox.password_sealed == sealed and mailbox.port == 143
    # A new one replaces it.
    assert post(client, response.location, form(area, password="otra-clave")).status_code == 302
    db.session.expire_all()
    assert unseal(app.config["SECRET_KEY"], mailbox.password_sealed) == "otra-clave"
    listing = client.get("/administracion/buzones").get_data(as_text=True)
    assert "seguridad@example.org" in listing and "otra-clave" not in listing


@pytest.mark.parametrize(
    ("changes", "field", "spanish"),
    [
        ({"name": " "}, "name", "Escribe un nombre."),
        ({"address": "no-es-correo"}, "address", "correo electrónico válido"),
        ({"area_id": "999999"}, "area_id", "área"),
        ({"ticket_type_id": "2147483648"}, "ticket_type_id", "tipo"),
        ({"host": "2147483648"}, "host", "imap.example.com"),
        ({"host": "imap example org"}, "host", "imap.example.com"),
        ({"port": "70000"}, "port", "65535"),
        ({"port": "²"}, "port", "65535"),
        ({"security": "none"}, "security", "TLS"),
        ({"username": ""}, "username", "usuario"),
        ({"password": ""}, "password", "contraseña"),
        ({"folder": "INBOX\r\nA1 DELETE INBOX"}, "folder", "saltos de línea"),
        ({"done_folder": "INBOX"}, "done_folder", "otra carpeta"),
        ({"rejected_folder": "INBOX"}, "rejected_folder", "otra carpeta"),
    ],
)
def test_a_wrong_value_is_refused_at_its_field_in_spanish(
    app, client, admin, changes, field, spanish
):
    area = make_area("Seguridad")
    login(client, admin.email)
    response = post(client, NEW, form(area, **changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and spanish in page, page[page.find("alert") :][:600]
    assert db.session.scalar(select(Mailbox)) is None


def test_two_mailboxes_cannot_share_a_name(app, client, admin):
    area = make_area("Seguridad")
    login(client, admin.email)
    assert post(client, NEW, form(area)).status_code == 302
    response = post(client, NEW, form(area, name="SEGURIDAD"))
    assert response.status_code == 400
    assert "Ya existe un buzón con este nombre." in response.get_data(as_text=True)


def test_probar_conexion_logs_in_over_tls_and_starttls(app, client, admin, imap):
    area = make_area("Seguridad")
    imap.deliver(b"Subject: uno\r\n\r\nx\r\n", b"Subject: dos\r\n\r\ny\r\n")
    tls = add_mailbox(imap, area)
    starttls = add_mailbox(imap, area, name="Por STARTTLS", security="starttls")
    login(client, admin.email)
    for mailbox in (tls, starttls):
        page = post(client, f"/administracion/buzones/{mailbox.id}/probar", {})
        assert page.status_code == 302
        text = client.get(page.location).get_data(as_text=True)
        assert (
            f"Conectado a 127.0.0.1:{mailbox.port} como {imap.user}. "
            "Mensajes que esperan en INBOX: 2." in text
        ), text
    # Reading only: nothing moved, nothing marked read.
    assert len(imap.folder("INBOX")) == 2


def test_probar_conexion_says_what_went_wrong_in_the_readers_language(app, client, imap):
    area = make_area("Seguridad")
    boss = make_user(Role.ADMIN, "boss@example.org", "Boss", language="en")
    wrong = add_mailbox(imap, area, name="Clave mala", password="not-the-password")
    closed = closed_port_mailbox(app, area)
    no_folder = add_mailbox(imap, area, name="Sin carpeta")
    no_folder.folder = "NoExiste"
    db.session.commit()
    login(client, boss.email, PASSWORD)
    expected = {
        wrong: f"127.0.0.1:{wrong.port} refused the user name or the password.",
        closed: f"No connection to 127.0.0.1:{closed.port}:",
        no_folder: f"127.0.0.1:{no_folder.port} has no folder NoExiste.",
    }
    for mailbox, words in expected.items():
        page = post(client, f"/administracion/buzones/{mailbox.id}/probar", {})
        assert words in client.get(page.location).get_data(as_text=True), words


def test_a_password_sealed_with_another_key_asks_to_be_typed_again(app, client, admin, imap):
    area = make_area("Seguridad")
    mailbox = add_mailbox(imap, area)
    mailbox.password_sealed = seal("an-older-secret-key-of-32-characters", imap.password)
    db.session.commit()
    login(client, admin.email)
    page = post(client, f"/administracion/buzones/{mailbox.id}/probar", {})
    text = client.get(page.location).get_data(as_text=True)
    assert "La contraseña guardada no se puede leer" in text


def test_every_login_of_the_desk_was_encrypted(app, client, admin, imap):
    """Dovecot trusts loopback even in plain text, so its log tells whether STARTTLS happened."""
    area = make_area("Seguridad")
    login(client, admin.email)
    for security in ("tls", "starttls"):
        mailbox = add_mailbox(imap, area, name=f"Por {security}", security=security)
        post(client, f"/administracion/buzones/{mailbox.id}/probar", {})
    log = (imap.server.root / "dovecot.log").read_text()
    logins = [line for line in log.splitlines() if f"Login: user=<{imap.user}>" in line]
    assert len(logins) == 2
    assert all(", TLS" in line for line in logins), logins
