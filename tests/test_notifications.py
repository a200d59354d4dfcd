"""Who gets which e-mail, in which language; SMTP refusals; a Redis outage loses nothing."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    Notice,
    NoticeStatus,
    OutboxMessage,
    OutboxStatus,
    Role,
    Ticket,
    User,
    utcnow,
)
from servicedesk.notifications import courier, delivery, fanout
from tests.conftest import Mailbox, _Collector, csrf_token, free_port, login, make_user
from tests.tickets.conftest import file_ticket


def subjects(mailbox: Mailbox, address: str) -> list[str]:
    """Subjects of the mail one address received."""
    return [str(m["Subject"]) for m in mailbox.to(address)]


def file_as_client(app, client_user):
    """File a ticket through the portal; return the client's test client and the number."""
    c = app.test_client()
    login(c, client_user.email)
    response = file_ticket(c, {"subject": "Fuga <b>grande</b>", "cf-urgente": "true"})
    return c, int(response.headers["Location"].rsplit("/", 1)[1])


def desk_action(app, user, number: int, action: str, **data):
    """Post a desk action as a member of the desk."""
    c = app.test_client()
    login(c, user.email)
    token = csrf_token(c.get(f"/tablero/tickets/{number}").get_data(as_text=True))
    version = db.session.scalar(select(Ticket.version).where(Ticket.number == number))
    return c.post(
        f"/tablero/tickets/{number}/{action}",
        data={"csrf_token": token, "version": str(version), **data},
    )


def test_new_ticket_goes_to_admins_and_the_area_in_their_language(
    app, client_user, mailbox, desk_people
):
    boss, agent = desk_people
    _c, number = file_as_client(app, client_user)
    [english] = mailbox.to(boss.email)
    [spanish] = mailbox.to(agent.email)
    assert str(english["Subject"]).startswith(f"[#{number}] New ticket")
    assert str(spanish["Subject"]).startswith(f"[#{number}] Nuevo ticket")
    body = Mailbox.text_of(spanish)
    assert f"/tablero/tickets/{number}" in body and "Urgente: Sí" in body
    html = spanish.get_body(("html",)).get_content()
    assert "&lt;b&gt;grande&lt;/b&gt;" in html and "<b>grande</b>" not in html
    assert mailbox.to(client_user.email) == []  # the author is not told of their own ticket


def test_a_filing_writes_one_notice_and_the_area_mail_after_its_commit(
    app, client_user, mailbox, desk_people
):
    boss, agent = desk_people
    c = app.test_client()
    login(c, client_user.email)
    c.wait_for_mail = False  # look before the courier has written the mail
    parked: list[tuple[list[int], list[int]]] = []
    real = courier.for_app(app)
    original = real.submit
    real.submit = lambda ids, notices=(): parked.append((list(ids), list(notices)))  # type: ignore[method-assign]
    try:
        assert file_ticket(c, {"subject": "Sin prisa"}).status_code == 302
    finally:
        real.submit = original  # type: ignore[method-assign]
    # The request committed the ticket and one notice; no message is written yet.
    [(messages, [notice_id])] = parked
    assert messages == [] and db.session.scalars(select(OutboxMessage)).all() == []
    assert db.session.get(Notice, notice_id).status == NoticeStatus.PENDING
    real.submit([], [notice_id])
    assert courier.wait_idle(app, 30)
    db.session.expire_all()
    assert db.session.get(Notice, notice_id).status == NoticeStatus.DONE
    assert len(mailbox.to(boss.email)) == 1 and len(mailbox.to(agent.email)) == 1


def test_broken_mail_templates_keep_the_ticket_and_the_relay_writes_its_mail_later(
    app, client_user, mailbox, desk_people, monkeypatch
):
    boss, agent = desk_people

    def broken(*_args: object) -> None:
        raise RuntimeError("a template of the new-ticket mail is broken")

    monkeypatch.setitem(fanout.EXPANDERS, "new_ticket", broken)
    _c, number = file_as_client(app, client_user)
    # The filing stands; its notice counts the failure and waits for its backoff.
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    notice = db.session.scalars(select(Notice)).one()
    assert (notice.ticket_id, notice.status, notice.attempts) == (
        ticket.id,
        NoticeStatus.PENDING,
        1,
    )
    assert "template of the new-ticket mail is broken" in notice.last_error
    assert mailbox.messages == []
    monkeypatch.undo()  # the templates are fixed
    db.session.execute(db.update(Notice).values(available_at=utcnow()))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["relay"])
    assert result.exit_code == 0, result.output
    assert "2 message(s) delivered" in result.output
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status == NoticeStatus.DONE
    assert len(mailbox.to(boss.email)) == 1 and len(mailbox.to(agent.email)) == 1
    assert app.test_cli_runner().invoke(args=["relay"]).output.startswith("0 message(s)")


def test_take_assign_reply_note_status_and_closure(app, client_user, mailbox, desk_people):
    boss, agent = desk_people
    client, number = file_as_client(app, client_user)
    mailbox.messages.clear()
    desk_action(app, agent, number, "tomar", seen_assignee="")
    assert mailbox.messages == []  # taking it yourself mails nobody
    desk_action(app, boss, number, "asignar", assignee_id=str(boss.id))
    [taken] = subjects(mailbox, agent.email)  # the previous owner hears who took it
    assert taken.startswith(f"[#{number}] Tomado por otra persona")
    desk_action(app, boss, number, "asignar", assignee_id=str(agent.id))
    assert subjects(mailbox, agent.email)[-1].startswith(f"[#{number}] Asignado a ti")
    mailbox.messages.clear()
    desk_action(app, agent, number, "responder", body="Nota SOLO interna", internal="1")
    assert mailbox.messages == []
    desk_action(app, agent, number, "responder", body="Vamos mañana a las 9")
    [reply] = mailbox.to(client_user.email)
    assert "Vamos mañana a las 9" in Mailbox.text_of(reply)
    assert f"/mesa-de-ayuda/tickets/{number}" in Mailbox.text_of(reply)
    token = csrf_token(client.get(f"/mesa-de-ayuda/tickets/{number}").get_data(as_text=True))
    client.post(
        f"/mesa-de-ayuda/tickets/{number}/responder",
        data={"csrf_token": token, "body": "Gracias, aquí estaré"},
    )
    assert "Gracias, aquí estaré" in Mailbox.text_of(mailbox.to(agent.email)[-1])
    desk_action(app, agent, number, "propiedades", status="waiting", priority="normal", area_id="")
    assert "Esperando al cliente" in Mailbox.text_of(mailbox.to(client_user.email)[-1])
    desk_action(app, agent, number, "cerrar", resolution="Cambiamos el empaque")
    closing = mailbox.to(client_user.email)[-1]
    text = Mailbox.text_of(closing)
    assert str(closing["Subject"]).startswith(f"[#{number}] Ticket cerrado")
    assert "Cambiamos el empaque" in text and "#feedback-h" in text
    assert all("SOLO interna" not in Mailbox.text_of(m) for m in mailbox.messages)


def test_client_reply_goes_to_the_area_when_nobody_owns_the_ticket(
    app, client_user, mailbox, desk_people
):
    boss, agent = desk_people
    client, number = file_as_client(app, client_user)
    mailbox.messages.clear()
    token = csrf_token(client.get(f"/mesa-de-ayuda/tickets/{number}").get_data(as_text=True))
    client.post(
        f"/mesa-de-ayuda/tickets/{number}/responder",
        data={"csrf_token": token, "body": "¿Alguna novedad?"},
    )
    assert len(mailbox.to(agent.email)) == 1 and len(mailbox.to(boss.email)) == 1


def test_muted_kinds_are_respected_but_closure_always_arrives(
    app, client_user, mailbox, desk_people
):
    _boss, agent = desk_people
    c = app.test_client()
    login(c, client_user.email)
    token = csrf_token(c.get("/cuenta/notificaciones").get_data(as_text=True))
    c.post("/cuenta/notificaciones", data={"csrf_token": token, "kind": ["assigned"]})
    assert set(db.session.get(User, client_user.id).muted) == {"new_ticket", "reply", "status"}
    _c, number = file_as_client(app, client_user)
    mailbox.messages.clear()
    desk_action(app, agent, number, "responder", body="Hola")
    desk_action(
        app, agent, number, "propiedades", status="in_progress", priority="normal", area_id=""
    )
    assert mailbox.to(client_user.email) == []
    desk_action(app, agent, number, "cerrar", resolution="")
    assert len(mailbox.to(client_user.email)) == 1


def test_smtp_refusing_then_failed_then_retried_once(app, admin, mailbox):
    c = app.test_client()
    login(c, admin.email)
    _Collector.refuse = True
    token = csrf_token(c.get("/administracion/correo").get_data(as_text=True))
    c.post("/administracion/correo/prueba", data={"csrf_token": token})
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    for _ in range(delivery.MAX_ATTEMPTS):
        db.session.execute(db.update(OutboxMessage).values(available_at=utcnow()))
        db.session.commit()
        for message_id in delivery.pending_ids():
            delivery.deliver(message_id)
    db.session.refresh(message)
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == delivery.MAX_ATTEMPTS and "Refused" in message.last_error
    page = c.get("/administracion/correo").get_data(as_text=True)
    assert f'data-message="{message.id}" data-status="failed"' in page and "Refused" in page
    _Collector.refuse = False
    c.post(f"/administracion/correo/{message.id}/reintentar", data={"csrf_token": token})
    db.session.refresh(message)
    assert message.status == OutboxStatus.SENT
    assert len(mailbox.to(admin.email)) == 1
    c.post(f"/administracion/correo/{message.id}/reintentar", data={"csrf_token": token})
    assert len(mailbox.to(admin.email)) == 1  # a sent message is never sent again


def test_only_administrators_see_the_outbox(app, collaborator):
    c = app.test_client()
    login(c, collaborator.email)
    assert c.get("/administracion/correo").status_code == 403


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own on a free port (the shared one stays up)."""
    binary = shutil.which("redis-server")
    if binary is None:
        from tests.conftest import require_service

        require_service("redis", "redis-server is not installed")
    port = free_port()

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        from redis import Redis

        for _ in range(100):
            try:
                if Redis(port=port).ping():
                    return proc
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    yield port, start


@pytest.mark.isolated  # see tests/test_mail_faults.py
def test_redis_outage_delays_mail_but_loses_none(app, client_user, mailbox, desk_people, own_redis):
    from redis import Redis
    from rq import SimpleWorker

    boss, agent = desk_people
    port, start = own_redis
    app.config.update(
        REDIS_URL=f"redis://127.0.0.1:{port}/0", RQ_QUEUE=f"sd-outage-{uuid.uuid4().hex[:8]}"
    )
    try:
        c = app.test_client()
        login(c, client_user.email)
        for n in range(50):  # Redis is down for every one of these requests
            response = file_ticket(c, {"subject": f"Ticket {n}"})
            assert response.status_code == 302
        # Each filing left one notice for its mail, which no worker could be told of.
        notices = db.session.scalars(select(Notice)).all()
        assert len(notices) == 50 and {n.status for n in notices} == {NoticeStatus.PENDING}
        assert db.session.scalars(select(OutboxMessage)).all() == []
        assert mailbox.messages == []
        proc = start()
        try:
            # The relay writes the notices' mail and queues it, and nothing twice.
            assert fanout.relay_pass() == 100
            assert fanout.relay_pass() == 0
            SimpleWorker([app.config["RQ_QUEUE"]], connection=Redis(port=port)).work(burst=True)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    finally:
        app.config.update(REDIS_URL="", RQ_QUEUE="servicedesk-mail")
    ids = [str(m["Message-ID"]) for m in mailbox.messages]
    assert len(ids) == 100 and len(set(ids)) == 100
    assert len(mailbox.to(boss.email)) == 50 and len(mailbox.to(agent.email)) == 50
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(OutboxMessage))} == {OutboxStatus.SENT}


def test_backoff_keeps_a_failed_message_out_of_the_next_relay(app, admin):
    _Collector.refuse = True
    with app.test_request_context():
        from servicedesk.notifications import outbox

        outbox.enqueue_template("test", db.session.get(User, admin.id), subject="x")
        db.session.commit()
        message = db.session.scalars(select(OutboxMessage)).one()
        delivery.deliver(message.id)
    assert delivery.pending_ids() == []  # waiting for its backoff
    db.session.execute(db.update(OutboxMessage).values(available_at=utcnow() - timedelta(1)))
    db.session.commit()
    assert delivery.pending_ids() == [message.id]


NAMES = ['Ana & "Bob" <b>x</b>', "O'Neil Ñúñez", "%(name)s {{ user }}", "Zoë"]
KINDS = sorted(
    p.stem
    for p in (Path(__file__).parents[1] / "templates" / "email").glob("*.txt")
    if not p.stem.startswith("_")
)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["es", "en"])
def test_one_render_per_group_equals_one_render_per_recipient(
    app, client_user, desk_people, kind, language, monkeypatch
):
    """The name put into a group's one render gives each recipient the mail of their own."""
    from servicedesk.catalog import display
    from servicedesk.models import Comment, Ticket
    from servicedesk.notifications import outbox

    monkeypatch.setattr(outbox, "_NAME_ONLY", {})
    c, number = file_as_client(app, client_user)
    boss, _agent = desk_people
    with app.test_request_context(), outbox.force_locale(language):
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        comment = Comment(ticket_id=ticket.id, author_id=boss.id, body="Hola <i>ya</i>")
        users = [
            User(name=n, email=f"u{i}@example.org", language=language) for i, n in enumerate(NAMES)
        ]
        context = {
            "subject": "[#1] x",
            "ticket": ticket,
            "link": "https://desk.example/t/1?a=1&b=2",
            "actor": boss,
            "rows": display.rows(ticket, language),
            "comment": comment,
            "owner": boss,
            "note": "Listo & <ok>",
            "feedback_link": "https://desk.example/t/1#feedback-h",
            "inviter": "Ada & <Co>",
            "hours": 24,
            "clock": "response",
            "due": ticket.created_at,
            "policy": "Normal & <urgente>",
        }
        for _twice in range(2):  # checked against a real render, then trusted
            grouped = outbox._bodies(kind, users, language, context)
            one_by_one = [outbox._render(kind, u, context) for u in users]
            assert grouped == one_by_one
        assert {(kind, language): True} == outbox._NAME_ONLY


@pytest.mark.parametrize(
    "template", ["{{ user.name|upper }}", "{{ user.name }} {{ user.email }}", "{{ user }}"]
)
def test_a_template_reading_more_than_the_name_is_rendered_per_recipient(
    app, monkeypatch, template
):
    from flask import render_template_string

    from servicedesk.notifications import outbox

    monkeypatch.setattr(outbox, "_NAME_ONLY", {})
    monkeypatch.setattr(
        outbox,
        "_render",
        lambda _kind, user, ctx: (render_template_string(template, user=user),) * 2,
    )
    users = [User(name=n, email=f"u{i}@example.org") for i, n in enumerate(NAMES)]
    with app.test_request_context():
        expected = [(render_template_string(template, user=u),) * 2 for u in users]
        assert outbox._bodies("x", users, "es", {}) == expected
        assert outbox._bodies("x", users, "es", {}) == expected
    assert outbox._NAME_ONLY == {("x", "es"): False}


def test_each_recipient_of_a_new_ticket_is_greeted_by_name(app, client_user, mailbox, soporte):
    area = db.session.scalar(select(Area).where(Area.name == "Mantenimiento"))
    people = [
        make_user(Role.COLLABORATOR, f"p{i}@example.org", name, areas=[area])
        for i, name in enumerate(NAMES)
    ]
    _c, number = file_as_client(app, client_user)
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert sorted(r.recipient for r in rows) == sorted(p.email for p in people)
    assert len({r.message_id for r in rows}) == len(rows)
    for person in people:
        [message] = mailbox.to(person.email)
        assert f"Hola {person.name}:" in Mailbox.text_of(message)
        assert str(message["Subject"]).startswith(f"[#{number}] Nuevo ticket")
