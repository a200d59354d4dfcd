"""A real IMAP server for the tests: a throw-away Dovecot on loopback, its own config and maildir.

One Dovecot per test session (per xdist worker), listening on two free ports of 127.0.0.1:
implicit TLS (like 993) and plain IMAP where STARTTLS is required before login (like 143),
both with a self-signed certificate made for the run and trusted through IMAP_CA_FILE. Each
test gets a user of its own, from a pool written into the passwd-file before the start (a
file changed while Dovecot runs is not always reread at once), so no test sees another's mail
and nothing needs emptying. Messages are delivered with IMAP APPEND.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from imapclient import IMAPClient

from servicedesk.extensions import db
from servicedesk.mailin.mailboxes import MailboxInput, save
from servicedesk.models import Area, Mailbox
from tests.conftest import free_port, require_service

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 1
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
{chroot}}}
service anvil {{
{chroot}}}
"""


# Users made before the start: more than the tests of one session (one xdist worker) use.
POOL = 300


@dataclass
class Dovecot:
    """The running server: where it listens and the certificate that proves it."""

    root: Path
    tls_port: int
    starttls_port: int
    ca_file: str
    pool: list[tuple[str, str]] = field(default_factory=list)

    def write_users(self) -> None:
        """The passwd-file: POOL throw-away users with random passwords."""
        self.pool = [
            (f"desk-{n}-{secrets.token_hex(3)}@example.test", secrets.token_urlsafe(12))
            for n in range(POOL)
        ]
        lines = (f"{user}:{{PLAIN}}{password}::::::\n" for user, password in self.pool)
        (self.root / "passwd").write_text("".join(lines))

    def add_user(self) -> tuple[str, str]:
        """A user nobody used yet, so with an empty mailbox: (user name, password)."""
        return self.pool.pop()


@dataclass
class ImapUser:
    """One test's IMAP account, with helpers to deliver and look at its mail."""

    server: Dovecot
    user: str
    password: str

    def client(self) -> IMAPClient:
        """A logged-in connection over TLS."""
        context = ssl.create_default_context(cafile=self.server.ca_file)
        client = IMAPClient("127.0.0.1", port=self.server.tls_port, ssl_context=context, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Put messages into a folder, in order (IMAP APPEND: the UIDs follow the order)."""
        with self.client() as client:
            for raw in messages:
                client.append(folder, raw)

    def folder(self, name: str = "INBOX") -> list[bytes]:
        """The messages in a folder, by UID; [] when the folder does not exist."""
        with self.client() as client:
            if not client.folder_exists(name):
                return []
            client.select_folder(name, readonly=True)
            uids = sorted(client.search("ALL"))
            if not uids:
                return []
            data = client.fetch(uids, ["BODY.PEEK[]"])
            return [bytes(data[uid][b"BODY[]"]) for uid in uids]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once the port accepts connections; fail with Dovecot's log otherwise."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    text = log.read_text() if log.exists() else "(no log)"
    pytest.fail(f"Dovecot did not start: {text[-2000:]}")


def _certificate(root: Path) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for two days."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(root / "key.pem"),
            "-out",
            str(root / "cert.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """Start a throw-away Dovecot for the session; stop it and remove its files at the end."""
    if not os.path.exists(DOVECOT):
        require_service("dovecot", "dovecot is not installed (apt-get install dovecot-imapd)")
    if not shutil.which("openssl"):
        require_service("dovecot", "openssl is not installed (for the test certificate)")
    # Not under pytest's tmp dir: its 0700 folders would keep out the unprivileged mail
    # processes, and Dovecot's sockets need a short path.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    _certificate(root)
    if os.geteuid() == 0:
        # Dovecot never reads mail as root: the mail processes run as nobody.
        nobody = pwd.getpwnam("nobody")
        uid, gid, users, chroot = nobody.pw_uid, nobody.pw_gid, "", ""
        os.chown(root / "mail", uid, gid)
    else:
        # Without root, everything runs as the current user, without the login chroot.
        me = pwd.getpwuid(os.geteuid()).pw_name
        uid, gid = os.geteuid(), os.getegid()
        users = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
        chroot = "  chroot =\n"
    server = Dovecot(root, free_port(), free_port(), str(root / "cert.pem"))
    server.write_users()
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            uid=uid,
            gid=gid,
            users=users,
            chroot=chroot,
            tls_port=server.tls_port,
            starttls_port=server.starttls_port,
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(server.tls_port, process, root / "dovecot.log")
        _wait_for_port(server.starttls_port, process, root / "dovecot.log")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap(dovecot: Dovecot, app: Flask) -> Iterator[ImapUser]:
    """A fresh IMAP user for this test, the app trusting the server's certificate."""
    user, password = dovecot.add_user()
    previous = app.config.get("IMAP_CA_FILE")
    app.config["IMAP_CA_FILE"] = dovecot.ca_file
    yield ImapUser(dovecot, user, password)
    app.config["IMAP_CA_FILE"] = previous


def add_mailbox(
    imap: ImapUser,
    area: Area,
    *,
    name: str = "Seguridad",
    security: str = "tls",
    type_id: int | None = None,
    password: str | None = None,
) -> Mailbox:
    """A mailbox of the desk that reads the test user's INBOX, saved through the rules."""
    port = imap.server.tls_port if security == "tls" else imap.server.starttls_port
    mailbox = save(
        None,
        MailboxInput(
            name=name,
            address="seguridad@example.org",
            area_id=area.id,
            ticket_type_id=type_id,
            host="127.0.0.1",
            port=port,
            security=security,
            username=imap.user,
            password=password or imap.password,
            folder="INBOX",
            done_folder="Procesados",
            rejected_folder="Rechazados",
            active=True,
        ),
    )
    db.session.commit()
    return mailbox
