"""Shared fixtures: the app on SQLite or PostgreSQL, a real SMTP server, users of each role."""

from __future__ import annotations

import contextvars
import email.policy
import os
import re
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

from servicedesk import create_app
from servicedesk.catalog.builder import FieldSpec, to_schema
from servicedesk.extensions import db
from servicedesk.models import Area, Role, TicketType, TicketTypeVersion, User
from servicedesk.notifications import courier

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def require_service(name: str, reason: str) -> None:
    """Skip when a service is missing, or fail when CI said this service must be there.

    REQUIRE_SERVICES is a comma-separated list (chromium, redis, postgresql, dovecot) or "all".
    """
    message = f"missing service {name}: {reason}"
    required = {s.strip() for s in os.environ.get("REQUIRE_SERVICES", "").split(",")}
    if name in required or "all" in required:
        pytest.fail(message)
    pytest.skip(message)


# ---------------------------------------------------------------- database


def _postgres_database(base_url: str) -> Iterator[str]:
    """Create a database of our own next to TEST_DATABASE_URL's and drop it afterwards."""
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    name = f"{url.database or 'servicedesk'}_t{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            # Only the database this run created is dropped.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yield the URL of an empty database for this test session."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base and "postgresql" in os.environ.get("REQUIRE_SERVICES", ""):
        pytest.fail("missing service postgresql: TEST_DATABASE_URL is not set")
    if base:
        yield from _postgres_database(base)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


# ---------------------------------------------------------------- mail


@dataclass
class Mailbox:
    """Messages received by the test SMTP server."""

    messages: list[Message]

    def to(self, address: str) -> list[Message]:
        """Return the messages sent to one address."""
        return [m for m in self.messages if address in (m["To"] or "")]

    @staticmethod
    def text_of(message: Message) -> str:
        """Return the plain-text part of a message."""
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8")
        raise AssertionError("no text/plain part")


class _Collector:
    """aiosmtpd handler that keeps every message it is given."""

    refuse = False  # tests flip this to play a mail server that rejects everything

    def __init__(self, sink: list[Message]) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if _Collector.refuse:
            return "554 5.7.1 Refused by the test server"
        self.sink.append(message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[int, list[Message]]]:
    """Run a real SMTP server on loopback for the whole session."""
    from aiosmtpd.controller import Controller

    sink: list[Message] = []
    controller = Controller(_Collector(sink), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, sink
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[int, list[Message]]) -> Mailbox:
    """Give a test the messages sent during it."""
    return Mailbox(smtp_server[1])


# ---------------------------------------------------------------- app


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    Without this, requests would reuse the test's app context, sharing its database
    session and flask.g (and so Flask-Login's cached user) from one request to the next.
    Without Redis, mail leaves after the response in the courier thread; the client waits
    for it after each request so tests can look in the mailbox (set wait_for_mail = False
    to see what a request does while the courier is still busy).
    """

    wait_for_mail = True

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Send the request from an empty context, then let the test see fresh data."""
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if self.wait_for_mail:
            assert courier.wait_idle(self.application, 60), "in-process mail still busy"
        db.session.rollback()
        return response


# The embedded mode's timers, off for every app a test builds: each would otherwise run
# beside the tests on the session's database for the rest of the session (and fail once the
# database is dropped at its end).
NO_TIMERS = {
    # No periodic relay in the courier thread: tests that retry mail do it themselves, and
    # the tests of the relay turn it on.
    "MAIL_RELAY_SECONDS": 0,
    # Nor a service-level escalation thread: tests run their passes when they say so.
    "SLA_ESCALATE_SECONDS": 0,
    # Nor do they read the IMAP mailboxes by themselves (tests run `mail-fetch`).
    "MAIL_FETCH_SECONDS": 0,
    # Nor build the reports' cache (tests build it with `flask report-cache`).
    "REPORT_CACHE_SECONDS": 0,
}


@pytest.fixture(scope="session")
def _app(
    database_url: str,
    smtp_server: tuple[int, list[Message]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:
    """Build one app for the session with its schema made by the migrations."""
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "test-" + uuid.uuid4().hex,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server[0],
            "MAIL_CONSOLE": False,
            "ATTACHMENTS_DIR": str(instance / "attachments"),
            "BASE_URL": "http://localhost",
            "SERVER_NAME": None,
            # A cheap hash keeps hundreds of logins fast; production uses scrypt.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            **NO_TIMERS,
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    yield app
    with app.app_context():
        db.engine.dispose()


def _clean(app: Flask) -> None:
    """Delete every row so the next test starts empty."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            # The full-text table lives outside the ORM metadata.
            conn.execute(text("DELETE FROM ticket_search"))
            # What the reports' triggers wrote while the tickets above were deleted.
            conn.execute(text("DELETE FROM report_changes"))


@pytest.fixture
def app(_app: Flask, smtp_server: tuple[int, list[Message]]) -> Iterator[Flask]:
    """Give a test the app with an empty database and an empty mailbox."""
    smtp_server[1].clear()
    _Collector.refuse = False
    _app.test_client_class = IsolatedClient
    with _app.app_context():
        yield _app
        db.session.remove()
    # Mail still going out from the test would write to the rows being deleted.
    courier.wait_idle(_app, 60)
    _clean(_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client for the app."""
    return app.test_client()


# ---------------------------------------------------------------- users


def make_user(
    role: Role,
    email: str,
    name: str | None = None,
    *,
    language: str = "es",
    areas: list[Area] | None = None,
    active: bool = True,
) -> User:
    """Create and commit a user with the shared test password."""
    user = User(
        email=email,
        name=name or email.split("@")[0].title(),
        role=role,
        language=language,
        active=active,
    )
    user.set_password(PASSWORD)
    user.areas.extend(areas or [])
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def admin(app: Flask) -> User:
    """An administrator."""
    return make_user(Role.ADMIN, "admin@example.org", "Ada Admin")


@pytest.fixture
def collaborator(app: Flask) -> User:
    """A collaborator in the Seguridad area."""
    area = Area(name="Seguridad")
    db.session.add(area)
    return make_user(Role.COLLABORATOR, "colab@example.org", "Carla Colab", areas=[area])


@pytest.fixture
def client_user(app: Flask) -> User:
    """A client (resident)."""
    return make_user(Role.CLIENT, "client@example.org", "Clara Client")


@pytest.fixture
def other_client(app: Flask) -> User:
    """Another client who must never see client_user's tickets."""
    return make_user(Role.CLIENT, "other@example.org", "Otto Other")


# ---------------------------------------------------------------- ticket types


@pytest.fixture
def soporte(app: Flask) -> TicketTypeVersion:
    """A Soporte type with text, choice, condition, yes/no, date and file fields."""
    area = Area(name="Mantenimiento")
    fields = [
        FieldSpec("ubicacion", "Ubicación", "text", True),
        FieldSpec(
            "categoria", "Categoría", "select", True, options=[("agua", "Agua"), ("otro", "Otro")]
        ),
        FieldSpec("detalle", "Detalle", "text", True, show_when="categoria", show_value="otro"),
        FieldSpec("urgente", "Urgente", "boolean"),
        FieldSpec("desde", "Desde", "date"),
        FieldSpec("notas", "Notas", "textarea"),
        FieldSpec("fotos", "Fotos", "file", max_items=3, accept=["image/*"], max_size_mb=1),
    ]
    schema, ui = to_schema(fields, "Soporte")
    ticket_type = TicketType(
        key="soporte", name="Soporte", description="Fallas", default_area=area, current_version=1
    )
    version = TicketTypeVersion(ticket_type=ticket_type, number=1, schema=schema, ui=ui)
    db.session.add_all([area, ticket_type, version])
    db.session.commit()
    return version


# ---------------------------------------------------------------- helpers


@contextmanager
def recorded_statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block, in order."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def csrf_token(html: str) -> str:
    """Pull the CSRF token out of a rendered page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def login(
    client: FlaskClient, email: str, password: str = PASSWORD, next_url: str | None = None
) -> Any:
    """Sign in through the real login form and return the response."""
    path = "/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"email": email, "password": password, "csrf_token": token})


def post_form(
    client: FlaskClient, page: str, data: dict[str, Any], action: str | None = None
) -> Any:
    """Load a page for its CSRF token, then post a form to it (or to action)."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={**data, "csrf_token": token})


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder for screenshots taken by browser tests."""
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app over HTTP on loopback in a thread; yield its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


# ---------------------------------------------------------------- browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Background networking off: this machine's network is closed, and nothing should phone home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Start one headless Chromium for the session."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        require_service("chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# ---------------------------------------------------------------- the demo desk


@pytest.fixture
def demo_desk(app: Flask) -> None:
    """The demo desk, plus a saved view, an API token, a photo and a mailbox, for their pages."""
    import io

    from sqlalchemy import select
    from werkzeug.datastructures import FileStorage

    from servicedesk import demo
    from servicedesk.models import ApiToken, Mailbox, SavedView, Ticket
    from servicedesk.secret_box import seal
    from servicedesk.tickets.service import store_attachment
    from tests.tickets.conftest import PNG

    demo.load()
    db.session.flush()
    carlos = db.session.scalar(select(User).where(User.email == "carlos@example.com"))
    maria = db.session.scalar(select(User).where(User.email == "maria@example.com"))
    db.session.add(SavedView(user_id=carlos.id, name="Urgentes", query="priority=urgent"))
    ApiToken.issue(carlos, "script")
    ticket = db.session.scalar(
        select(Ticket).where(Ticket.requester_id == maria.id).order_by(Ticket.number).limit(1)
    )
    store_attachment(ticket, maria, FileStorage(io.BytesIO(PNG), "foto.png", "file", "image/png"))
    # An IMAP mailbox on a loopback port nothing listens on: its pages are crawled, and a
    # connection test (never sent by the crawlers) could reach nothing outside this machine.
    db.session.add(
        Mailbox(
            name="Seguridad",
            address="seguridad@example.com",
            area_id=carlos.areas[0].id,
            host="127.0.0.1",
            port=free_port(),
            security="tls",
            username="seguridad@example.com",
            password_sealed=seal(app.config["SECRET_KEY"], "demo-password"),
        )
    )
    db.session.commit()


@pytest.fixture
def desk_people(app, soporte):
    """An English-speaking admin and a Spanish collaborator in the type's area."""
    area = db.session.scalar(select(Area).where(Area.name == "Mantenimiento"))
    boss = make_user(Role.ADMIN, "boss@example.org", "Boss", language="en")
    agent = make_user(Role.COLLABORATOR, "agent@example.org", "Agente", areas=[area])
    return boss, agent
