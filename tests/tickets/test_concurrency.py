"""Many people writing on one ticket at the same instant: nothing is lost, nothing is a 5xx.

Real HTTP against a threaded server, every writer released by one barrier: client and
collaborators, web forms and the API, replies with and without files, plus one status edit.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    Attachment,
    Comment,
    HeldUpload,
    Notice,
    Role,
    Status,
    Ticket,
    TicketEvent,
    TicketNumber,
)
from servicedesk.notifications import fanout
from servicedesk.tickets import held, service
from tests.api.conftest import issue_token
from tests.conftest import PASSWORD, csrf_token, login, make_user, recorded_statements
from tests.factories import make_ticket, make_type
from tests.tickets.conftest import PNG, file_ticket, upload

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def web_session(base: str, email: str) -> requests.Session:
    """Sign in through the real login form."""
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/login", timeout=30).text).group(1)
    answer = session.post(
        f"{base}/login",
        timeout=30,
        allow_redirects=False,
        data={"email": email, "password": PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302, answer.status_code
    return session


def page_token(session: requests.Session, url: str) -> tuple[str, str | None]:
    """The CSRF token and the ticket version shown on a page."""
    html = session.get(url, timeout=30).text
    version = VERSION.search(html)
    return CSRF.search(html).group(1), version.group(1) if version else None


@pytest.fixture
def busy_ticket(app):
    """A ticket of a client, two collaborators of its area and an administrator."""
    area = Area(name="Seguridad")
    db.session.add(area)
    db.session.commit()
    client = make_user(Role.CLIENT, "clara@example.org")
    colabs = [make_user(Role.COLLABORATOR, f"colab{i}@example.org", areas=[area]) for i in range(2)]
    admin = make_user(Role.ADMIN, "ada@example.org")
    ticket = make_ticket(client, make_type(), area_id=area.id, status=Status.OPEN)
    return ticket.number, client, colabs, admin


def test_twenty_simultaneous_writers_on_one_ticket(  # noqa: C901 - one scenario, read together
    app, live_server, busy_ticket, tmp_path, monkeypatch
):
    number, client, colabs, admin = busy_ticket
    # A store of this test's own, so that every file in it must be one of this ticket's.
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "store"))
    base = live_server
    portal = f"{base}/mesa-de-ayuda/tickets/{number}"
    desk = f"{base}/tablero/tickets/{number}"
    api = f"{base}/api/v1/tickets/{number}"
    tokens = {u.email: issue_token(app, u.email) for u in (client, *colabs)}

    writers: list[tuple[str, Callable[[], requests.Response]]] = []

    def web_reply(email: str, url: str, with_file: bool, internal: bool = False) -> None:
        session = web_session(base, email)
        csrf, _ = page_token(session, url)
        data = {"csrf_token": csrf, "body": f"web {email} {len(writers)}"}
        if internal:
            data["internal"] = "1"
        files = [("attachments", ("foto.png", PNG, "image/png"))] if with_file else None
        writers.append(
            (
                f"web reply {email}",
                lambda: session.post(
                    f"{url}/responder", data=data, files=files, timeout=60, allow_redirects=False
                ),
            )
        )

    def api_comment(email: str, with_file: bool) -> None:
        headers = {"Authorization": f"Bearer {tokens[email]}"}
        text = f"api {email} {len(writers)}"
        if with_file:
            writers.append(
                (
                    f"api comment+file {email}",
                    lambda: requests.post(
                        f"{api}/comments",
                        headers=headers,
                        timeout=60,
                        data={"body": text},
                        files=[("attachments", ("foto.png", PNG, "image/png"))],
                    ),
                )
            )
        else:
            writers.append(
                (
                    f"api comment {email}",
                    lambda: requests.post(
                        f"{api}/comments", headers=headers, timeout=60, json={"body": text}
                    ),
                )
            )

    def api_upload(email: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[email]}"}
        writers.append(
            (
                f"api upload {email}",
                lambda: requests.post(
                    f"{api}/attachments",
                    headers=headers,
                    timeout=60,
                    files=[("file", ("foto.png", PNG, "image/png"))],
                ),
            )
        )

    # 19 appends: 11 over the web, 8 over the API; 10 of them carry a file.
    for i in range(4):
        web_reply(client.email, portal, with_file=i % 2 == 0)
    for i, colab in enumerate(colabs * 3):
        web_reply(colab.email, desk, with_file=i % 3 == 0, internal=i == 1)
    web_reply(admin.email, desk, with_file=False)
    for i in range(3):
        api_comment(client.email, with_file=i == 0)
    for colab in colabs:
        api_comment(colab.email, with_file=True)
    api_upload(client.email)
    api_upload(colabs[0].email)
    api_upload(colabs[1].email)
    # ... and one edit of the status, with the version its page showed.
    editor = web_session(base, admin.email)
    csrf, version = page_token(editor, desk)
    writers.append(
        (
            "status edit",
            lambda: editor.post(
                f"{desk}/propiedades",
                timeout=60,
                allow_redirects=False,
                data={
                    "csrf_token": csrf,
                    "version": version,
                    "status": Status.IN_PROGRESS,
                    "priority": "high",
                    "area_id": "",
                },
            ),
        )
    )
    assert len(writers) == 20

    barrier = threading.Barrier(len(writers))
    answers: dict[str, int] = {}

    def run(name: str, send: Callable[[], requests.Response]) -> None:
        barrier.wait(timeout=30)
        answers[name + f" #{threading.get_ident()}"] = send().status_code

    threads = [threading.Thread(target=run, args=w) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    codes = sorted(answers.values())
    assert len(codes) == 20
    assert [c for c in codes if c >= 500] == [], answers
    # Every append went through: web forms redirect, the API answers 201.
    appends = {k: v for k, v in answers.items() if not k.startswith("status edit")}
    assert all(code in (201, 302) for code in appends.values()), appends
    db.session.rollback()  # read what the server committed, not this test's old snapshot
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    comments = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.ticket_id == ticket.id)
    )
    assert comments == 11 + 5  # web replies and notes + API comments
    files = db.session.scalars(
        select(Attachment.stored_name).where(Attachment.ticket_id == ticket.id)
    ).all()
    assert len(files) == 10
    # No orphan: the store holds exactly the files the database knows.
    stored = {p.name for p in Path(app.config["ATTACHMENTS_DIR"]).iterdir() if p.is_file()}
    assert stored == set(files)
    # The edit was made on the version it saw: applied (appends do not make it stale).
    assert answers[next(k for k in answers if k.startswith("status edit"))] == 302
    assert (ticket.status, ticket.priority) == (Status.IN_PROGRESS, "high")


def test_two_edits_from_the_same_version_one_wins_the_other_sees_labels(
    app, live_server, busy_ticket
):
    number, _client, colabs, admin = busy_ticket
    desk = f"{live_server}/tablero/tickets/{number}"
    area = db.session.scalar(select(Area).where(Area.name == "Seguridad"))
    editors = [web_session(live_server, u.email) for u in (admin, colabs[0])]
    forms = [page_token(s, desk) for s in editors]
    assert forms[0][1] == forms[1][1]
    barrier = threading.Barrier(2)
    answers: list[requests.Response] = []

    def edit(session: requests.Session, csrf: str, version: str, status: str) -> None:
        barrier.wait(timeout=30)
        answers.append(
            session.post(
                f"{desk}/propiedades",
                timeout=60,
                allow_redirects=False,
                data={
                    "csrf_token": csrf,
                    "version": version,
                    "status": status,
                    "priority": "urgent",
                    "area_id": str(area.id),
                },
            )
        )

    threads = [
        threading.Thread(target=edit, args=(s, *f, st))
        for s, f, st in zip(editors, forms, (Status.RESOLVED, Status.IN_PROGRESS), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [302, 409]
    lost = next(a for a in answers if a.status_code == 409).text
    # What the loser typed is shown with labels, in the user's language.
    assert "Seguridad" in lost and "Urgente" in lost
    assert "area_id" not in lost


def test_a_request_that_fails_after_storing_its_files_leaves_none(
    app, busy_ticket, tmp_path, monkeypatch
):
    number, client, _colabs, _admin = busy_ticket
    store = tmp_path / "store"
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(store))
    web = app.test_client()
    login(web, client.email)
    token = csrf_token(web.get(f"/mesa-de-ayuda/tickets/{number}").get_data(as_text=True))

    def database_gone(_session):
        # The fault: the commit fails after the files were written (database lost, say).
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    event.listen(Session, "before_commit", database_gone)
    try:
        answer = web.post(
            f"/mesa-de-ayuda/tickets/{number}/responder",
            content_type="multipart/form-data",
            data={
                "csrf_token": token,
                "body": "con fotos",
                "attachments": [(io.BytesIO(PNG), "a.png"), (io.BytesIO(PNG), "b.png")],
            },
        )
    finally:
        event.remove(Session, "before_commit", database_gone)
    assert answer.status_code == 500
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    assert store.is_dir()  # the files were written...
    assert [p.name for p in store.iterdir()] == []  # ... and removed with the failed change


@pytest.mark.parametrize("counter", ["kept", "emptied"])
def test_simultaneous_filings_get_consecutive_numbers(
    app, live_server, soporte, client_user, counter
):
    """Sixteen filings at once (API and web form) after tickets made without the counter.

    Emptied: the counter row deleted by hand. PostgreSQL's number function puts it back (one
    filing inserts it, the others wait on it); SQLite falls back to max(number) and retries.
    """

    # Written directly, as demo data and imports are: the counter must not reuse 1..3.
    for _ in range(3):
        make_ticket(client_user, soporte)
    if counter == "emptied":
        db.session.execute(TicketNumber.__table__.delete())
        db.session.commit()
    token = issue_token(app, client_user.email)
    body = {
        "type": "soporte",
        "subject": "A la vez",
        "data": {"ubicacion": "Depto 1", "categoria": "agua"},
    }
    writers: list[Callable[[], requests.Response]] = []
    for _ in range(8):
        writers.append(
            lambda: requests.post(
                f"{live_server}/api/v1/tickets",
                headers={"Authorization": f"Bearer {token}"},
                json=body,
                timeout=60,
            )
        )
    for _ in range(8):
        session = web_session(live_server, client_user.email)
        url = f"{live_server}/mesa-de-ayuda/nueva/soporte"
        csrf, _version = page_token(session, url)
        form = {
            "csrf_token": csrf,
            "subject": "A la vez",
            "cf-ubicacion": "Depto 2",
            "cf-categoria": "agua",
        }
        writers.append(
            lambda s=session, u=url, f=form: s.post(u, data=f, timeout=60, allow_redirects=False)
        )
    barrier = threading.Barrier(len(writers))
    codes: list[int] = []

    def run(send: Callable[[], requests.Response]) -> None:
        barrier.wait(timeout=30)
        codes.append(send().status_code)

    threads = [threading.Thread(target=run, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(codes) == [201] * 8 + [302] * 8
    db.session.rollback()
    numbers = db.session.scalars(select(Ticket.number).order_by(Ticket.number)).all()
    assert numbers == list(range(1, 20))
    if db.engine.dialect.name == "postgresql":
        # The counter is back, at the last number taken: the next filing takes one step.
        assert db.session.scalars(select(TicketNumber.last_number)).all() == [19]


def test_a_filing_takes_its_number_in_the_statements_it_needs(app, soporte, client_user):
    """PostgreSQL: in the ticket's INSERT, read back by its RETURNING (one round trip fewer,
    and no SELECT of the number afterwards). SQLite: the counter's UPDATE, then the INSERT."""

    make_ticket(client_user, soporte)  # number 1, written without the counter
    client = app.test_client()
    login(client, client_user.email)
    with recorded_statements(app) as statements:
        assert file_ticket(client).status_code == 302
    inserts = [s for s in statements if s.startswith("INSERT INTO tickets ")]
    counters = [s for s in statements if "ticket_numbers" in s]
    if db.engine.dialect.name == "postgresql":
        assert len(inserts) == 1 and "take_ticket_number()" in inserts[0]
        assert "RETURNING tickets.id, tickets.number" in inserts[0] and counters == []
    else:
        assert len(counters) == 1 and counters[0].startswith("UPDATE ticket_numbers")
    assert not [s for s in statements if s.startswith("SELECT tickets.number")]
    db.session.rollback()
    assert db.session.scalars(select(Ticket.number).order_by(Ticket.number)).all() == [1, 2]


def test_a_rolled_back_filing_gives_its_number_back(app, soporte, client_user, monkeypatch):

    client = app.test_client()
    login(client, client_user.email)

    assert file_ticket(client).status_code == 302

    def fail(*_args: object) -> None:
        raise RuntimeError("the notices table is unwritable")

    monkeypatch.setattr(fanout, "announce", fail)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    assert file_ticket(client).status_code == 500
    monkeypatch.undo()
    assert file_ticket(client).status_code == 302
    db.session.rollback()
    assert db.session.scalars(select(Ticket.number).order_by(Ticket.number)).all() == [1, 2]


def test_without_the_counter_a_taken_number_is_retried_with_its_event(
    app, soporte, client_user, monkeypatch
):
    """The old way (no ticket_numbers row): a number taken meanwhile is retried in a
    savepoint, and the ticket still gets exactly one "created" event, its photo and its mail.
    """
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL's number function puts the row back (the 'emptied' case)")

    make_ticket(client_user, soporte)  # number 1
    db.session.execute(TicketNumber.__table__.delete())
    db.session.commit()
    real = service.next_number
    answers = iter([1])  # as if another filing had just taken 1: the insert is refused once
    monkeypatch.setattr(service, "next_number", lambda: next(answers, None) or real())
    client = app.test_client()
    login(client, client_user.email)
    assert file_ticket(client, files=[upload(PNG, "foto.png")]).status_code == 302
    db.session.rollback()
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == 2)).one()
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    assert [e.kind for e in events] == ["created"]
    assert db.session.scalars(select(Attachment.ticket_id)).all() == [ticket.id]
    assert db.session.scalars(select(Notice.ticket_id)).all() == [ticket.id]


@pytest.mark.parametrize("part", ["held", "cf-fotos"])
def test_a_double_submit_of_a_held_file_attaches_it_once(
    app, live_server, soporte, client_user, monkeypatch, part
):
    """A double click on the second submit: both filings go through, the file is filed once.

    Both requests are held after claiming the file until the other has claimed it too, so
    each goes on to take the same row; only the conditional DELETE decides. SQLite queues
    writing requests at BEGIN IMMEDIATE, so there the second cannot claim before the first
    commits: the wait times out and the two run one after the other.
    """
    url = f"{live_server}/mesa-de-ayuda/nueva/soporte"
    sessions = [web_session(live_server, client_user.email) for _ in range(2)]
    form = {"subject": "Fuga", "cf-ubicacion": "Depto 3", "cf-categoria": "agua"}
    chosen = "attachments" if part == "held" else part
    photo = {chosen: ("foto.png", PNG, "image/png")}
    refused = sessions[0].post(
        url,
        data={**form, "subject": "", "csrf_token": page_token(sessions[0], url)[0]},
        files=photo,
        timeout=60,
    )
    assert refused.status_code == 400
    [token] = re.findall(rf'name="{part}" value="([^"]+)" (?:id="[^"]+" )?checked', refused.text)
    submits = [{**form, part: token, "csrf_token": page_token(s, url)[0]} for s in sessions]

    meet = threading.Barrier(2, timeout=3)
    met: list[bool] = []
    real_claim = held.claim

    def claim_then_wait(user, tokens):
        found = real_claim(user, tokens)
        if found:
            try:
                meet.wait()
                met.append(True)
            except threading.BrokenBarrierError:
                met.append(False)
        return found

    monkeypatch.setattr(held, "claim", claim_then_wait)
    start = threading.Barrier(2)
    codes: list[int] = []

    def submit(session: requests.Session, data: dict[str, str]) -> None:
        start.wait(timeout=30)
        codes.append(session.post(url, data=data, timeout=60, allow_redirects=False).status_code)

    threads = [
        threading.Thread(target=submit, args=pair) for pair in zip(sessions, submits, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert codes == [302, 302]  # no 5xx: each filing goes through
    if db.engine.dialect.name == "postgresql":
        assert met == [True, True]  # both had claimed the row before either took it
    db.session.rollback()
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert attachment.filename == "foto.png"
    assert db.session.scalars(select(HeldUpload)).all() == []
    filed = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert len(filed) == 2 and attachment.ticket_id in {t.id for t in filed}
    if part == "cf-fotos":
        fields = sorted((t.data.get("fotos") for t in filed), key=bool)
        assert fields == [None, [str(attachment.id)]]
