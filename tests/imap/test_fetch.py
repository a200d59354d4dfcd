"""The IMAP fetch against a real Dovecot: 50 messages of every kind, once through and once killed
midway and rerun; then the fetcher's own rules (move after commit, nothing deleted, one bad
message never blocks the next, servers without MOVE)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from servicedesk.extensions import db
from servicedesk.mailin import fetch
from servicedesk.mailin.service import Outcome
from servicedesk.models import (
    Area,
    Attachment,
    Channel,
    Comment,
    InboundMessage,
    Mailbox,
    Notice,
    OutboxMessage,
    OutboxStatus,
    Role,
    Status,
    Ticket,
    TicketTypeVersion,
    User,
)
from servicedesk.notifications import courier, worker
from tests.conftest import make_user
from tests.factories import make_ticket
from tests.imap.conftest import ImapUser, add_mailbox
from tests.tickets.conftest import PNG

ROOT = Path(__file__).resolve().parents[2]
DESK = "seguridad@example.org"
EXE = b"MZ\x90\x00" + b"\x00" * 60


@dataclass
class Sent:
    """One message delivered to the INBOX and what must become of it."""

    raw: bytes
    message_id: str
    action: str  # created | replied | ignored | rejected
    sender: str = ""
    subject: str = ""
    phrase: str = ""  # words the ticket's description or the comment must contain
    ticket: int | None = None  # the ticket a reply lands on
    files: list[str] = field(default_factory=list)  # attached files that must be kept
    refused: list[str] = field(default_factory=list)  # attached files that must be refused
    duplicate: bool = False


def build(
    sender: str,
    subject: str,
    text: str | None = None,
    *,
    html: str | None = None,
    charset: str = "utf-8",
    files: tuple[tuple[str, bytes, str], ...] = (),
    headers: tuple[tuple[str, str], ...] = (),
    message_id: str | None = None,
) -> tuple[bytes, str]:
    """An e-mail as a mail client sends it, and its Message-ID."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DESK
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.net")
    for name, value in headers:
        message[name] = value
    if text is not None:
        message.set_content(text, charset=charset, cte="quoted-printable")
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for filename, data, mimetype in files:
        maintype, subtype = mimetype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=SMTP), str(message["Message-ID"])


@dataclass
class Desk:
    """The desk's side before the mail arrives: people, two tickets and their sent mail."""

    area: Area
    client: User
    other: User
    colab: User
    version: TicketTypeVersion
    mailbox: Mailbox


@pytest.fixture
def desk(app: Flask, imap: ImapUser, soporte: TicketTypeVersion) -> Desk:
    """Clara's ticket #1 and Otto's #2 in Seguridad, with the desk's mail about them."""
    area = Area(name="Seguridad")
    db.session.add(area)
    db.session.commit()
    client = make_user(Role.CLIENT, "client@example.org", "Clara Client")
    other = make_user(Role.CLIENT, "other@example.org", "Otto Other")
    colab = make_user(Role.COLLABORATOR, "colab@example.org", "Carla Colab", areas=[area])
    for owner, subject, message_id in (
        (client, "Fuga de agua", "<out-reply-1@localhost>"),
        (other, "Luz del pasillo", "<out-reply-2@localhost>"),
    ):
        ticket = make_ticket(owner, soporte, subject, status=Status.OPEN, area_id=area.id)
        db.session.add(
            OutboxMessage(
                kind="reply",
                recipient=owner.email,
                subject=f"[#{ticket.number}] Nueva respuesta — {subject}",
                body_text="Hola",
                message_id=message_id,
                ticket_id=ticket.id,
                status=OutboxStatus.SENT,
            )
        )
    db.session.add(
        OutboxMessage(
            kind="reply",
            recipient="gone@example.org",
            subject="[#1] Nueva respuesta — Fuga de agua",
            body_text="Hola",
            message_id="<out-gone@localhost>",
            status=OutboxStatus.SENT,
        )
    )
    db.session.commit()
    mailbox = add_mailbox(imap, area, type_id=soporte.ticket_type_id)
    return Desk(area, client, other, colab, soporte, mailbox)


def fifty() -> list[Sent]:
    """50 messages: new requests (plain, HTML-only, ISO-8859-1, with files), replies by
    In-Reply-To and by [#N], a bounce, two auto-replies, two duplicates, two malformed."""
    sent: list[Sent] = []
    senders = ["client@example.org", "other@example.org"] + [
        f"vecino{k}@example.net" for k in range(11)
    ]
    # At most four new requests per sender: under the ten an hour a sender may file.
    for i in range(30):
        sender = senders[i % len(senders)]
        subject = f"Pedido {i}: ruido en el estacionamiento"
        phrase = f"Detalle del pedido {i}"
        files: list[str] = []
        refused: list[str] = []
        if i % 10 == 3:
            raw, mid = build(sender, subject, html=f"<p><b>{phrase}</b> con <i>formato</i></p>")
        elif i % 10 == 5:
            phrase = f"Ñandú del señor Muñoz, pedido {i}"
            raw, mid = build(sender, subject, phrase + ".", charset="iso-8859-1")
        elif i % 10 == 7:
            files, refused = [f"foto-{i}.png"], [f"programa-{i}.exe"]
            raw, mid = build(
                sender,
                subject,
                phrase + ".",
                files=(
                    (files[0], PNG, "image/png"),
                    (refused[0], EXE, "application/octet-stream"),
                ),
            )
        else:
            raw, mid = build(sender, subject, phrase + ".\n\n--\nVecino del edificio")
        sent.append(
            Sent(raw, mid, "created", sender, subject, phrase, files=files, refused=refused)
        )
    replies = [
        (
            "client@example.org",
            "Re: [#1] Nueva respuesta — Fuga de agua",
            "<out-reply-1@localhost>",
            1,
        ),
        ("client@example.org", "RE: Fuga de agua", "<out-reply-1@localhost>", 1),
        ("colab@example.org", "Re: [#1] Fuga de agua", "<out-reply-1@localhost>", 1),
        ("other@example.org", "Re: [#2] Luz del pasillo", None, 2),
        ("other@example.org", "RV: [#2] Luz del pasillo", None, 2),
        ("other@example.org", "Re: [#2] Luz del pasillo (otra vez)", None, 2),
    ]
    for n, (sender, subject, parent, number) in enumerate(replies):
        phrase = f"Respuesta número {n} al ticket"
        headers = (("In-Reply-To", parent), ("References", parent)) if parent else ()
        quoted = f"{phrase}.\n\nEl lun, 30 nov 2026 a las 10:00, Mesa <{DESK}> escribió:\n> Hola\n"
        raw, mid = build(sender, subject, quoted, headers=headers)
        sent.append(Sent(raw, mid, "replied", sender, subject, phrase, ticket=number))
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        b"To: " + DESK.encode() + b"\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn-1@mx.example.org>\r\nAuto-Submitted: auto-replied\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org"
        b"\r\n\r\nFinal-Recipient: rfc822; gone@example.org\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\n\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <out-gone@localhost>\r\nTo: gone@example.org\r\n\r\n--B--\r\n"
    )
    sent.append(Sent(bounce, "<dsn-1@mx.example.org>", "ignored"))
    raw, mid = build(
        "client@example.org",
        "Respuesta automática: fuera de la oficina",
        "Estoy de vacaciones hasta el lunes.",
        headers=(("Auto-Submitted", "auto-replied"),),
    )
    sent.append(Sent(raw, mid, "ignored"))
    raw, mid = build(
        "vecino1@example.net",
        "Out of office",
        "I am away.",
        headers=(("X-Autoreply", "yes"),),
    )
    sent.append(Sent(raw, mid, "ignored"))
    # The same messages again (a client that sent twice, a server that delivered twice).
    sent.append(Sent(sent[0].raw, sent[0].message_id, "ignored", duplicate=True))
    sent.append(Sent(sent[30].raw, sent[30].message_id, "ignored", duplicate=True))
    # Not a message at all (no NUL: IMAP cannot carry one, Dovecot would change it).
    sent.append(Sent(b"\x01\x02 esto no es un correo \xff\xfe\r\n", "", "rejected"))
    raw, mid = build("nadie@example.net", "Sin remitente", "Hola")
    without_from = raw.replace(b"From: nadie@example.net\r\n", b"")
    sent.append(Sent(without_from, mid, "rejected"))
    for i in range(7):
        sender = f"nuevo{i}@example.com"
        subject = f"Consulta {i} sobre gastos comunes"
        phrase = f"Texto de la consulta {i}"
        if i % 2:
            raw, mid = build(sender, subject, html=f"<div>{phrase}</div><div>Gracias</div>")
            sent.append(Sent(raw, mid, "created", sender, subject, phrase))
        else:
            files = [f"boleta-{i}.png"]
            raw, mid = build(sender, subject, phrase, files=((files[0], PNG, "image/png"),))
            sent.append(Sent(raw, mid, "created", sender, subject, phrase, files=files))
    assert len(sent) == 50
    return sent


def handled_count() -> int:
    """How many messages the pipeline has recorded (committed)."""
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(InboundMessage)) or 0)


def check_everything(imap: ImapUser, sent: list[Sent]) -> None:
    """Every ticket, comment, attachment, outbox row and folder is as the 50 messages say."""
    db.session.rollback()
    rows = {r.message_id: r for r in db.session.scalars(select(InboundMessage))}
    assert len(rows) == 48, "one row per message, the duplicates not counted again"
    for one in sent:
        if one.message_id and not one.duplicate:
            assert rows[one.message_id].action == one.action, (one.subject, rows[one.message_id])
    assert sorted(r.action for r in rows.values()).count("rejected") == 2

    tickets = {t.subject: t for t in db.session.scalars(select(Ticket))}
    created = [one for one in sent if one.action == "created"]
    assert len(tickets) == 2 + len(created) == 39, "each new request once, nothing doubled"
    for one in created:
        ticket = tickets[one.subject]
        assert ticket.requester.email == one.sender
        assert ticket.channel == Channel.EMAIL
        assert ticket.area_id == db.session.scalar(select(Area.id).where(Area.name == "Seguridad"))
        assert one.phrase in ticket.description, (one.subject, ticket.description)
        assert "Vecino del edificio" not in ticket.description  # the signature went
        files = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id))
        attached = list(files)
        names = {a.filename for a in attached}
        assert set(one.files) <= names
        assert not any(name in names for name in one.refused)
        originals = [a for a in attached if a.filename.endswith(".eml")]
        assert len(originals) == 1 and originals[0].internal
        if one.refused:
            notes = [c.body for c in ticket.comments if c.internal]
            assert any(one.refused[0] in note for note in notes), notes
        assert ticket.incomplete  # the type's required fields cannot come by e-mail
    # Unknown senders became clients, each once.
    for address in {one.sender for one in created}:
        assert db.session.scalar(select(func.count()).where(User.email == address)) == 1

    replies = [one for one in sent if one.action == "replied" and not one.duplicate]
    for number in (1, 2):
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        comments = db.session.scalars(
            select(Comment).where(Comment.ticket_id == ticket.id, Comment.internal.is_(False))
        ).all()
        expected = [one for one in replies if one.ticket == number]
        assert len(comments) == len(expected), [c.body for c in comments]
        for one, comment in zip(expected, sorted(comments, key=lambda c: c.id), strict=True):
            assert one.phrase in comment.body, comment.body
            # A reply's quoted history is cut; a forward ("RV:") keeps what it forwards.
            forward = one.subject.startswith("RV:")
            assert ("escribió" in comment.body) == forward, comment.body
            assert comment.author.email == one.sender
    originals = db.session.scalar(select(func.count()).where(Attachment.filename.like("%.eml")))
    assert originals == len(created) + len(replies)

    # The desk's mail: one acknowledgement per new request, one notice to the area each,
    # and the bounced message marked on its outbox row.
    received = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "received"))
    assert sorted(m.recipient for m in received) == sorted(one.sender for one in created)
    notices = db.session.scalar(select(func.count()).select_from(Notice))
    assert notices == len(created)
    gone = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.message_id == "<out-gone@localhost>")
    )
    assert gone.status == OutboxStatus.FAILED and "bounced" in (gone.last_error or "")

    # The mailbox: nothing left, nothing deleted, each message once in its folder.
    assert imap.folder("INBOX") == []
    done, rejected = imap.folder("Procesados"), imap.folder("Rechazados")
    assert len(done) == 48 and len(rejected) == 2
    assert sorted(done) == sorted(one.raw for one in sent if one.action != "rejected")
    assert sorted(rejected) == sorted(one.raw for one in sent if one.action == "rejected")


def test_fifty_messages_become_tickets_replies_and_nothing_else(app, desk, imap, mailbox):
    sent = fifty()
    imap.deliver(*(one.raw for one in sent))
    result = fetch.run_pass().as_dict()
    assert courier.wait_idle(app, 60)
    assert result == {
        "mailboxes": 1,
        "created": 37,
        "replied": 6,
        "ignored": 5,
        "rejected": 2,
        "errors": 0,
        "failed": {},
    }
    check_everything(imap, sent)
    # The acknowledgements really left, with the ticket's number in the subject.
    acknowledged = [m for m in mailbox.messages if "[#" in (m["Subject"] or "")]
    assert len({m["To"] for m in acknowledged}) >= 13
    # A second pass finds nothing to do.
    assert fetch.run_pass().as_dict()["created"] == 0


def subprocess_env(app: Flask, imap: ImapUser) -> dict[str, str]:
    """The environment of `flask --app wsgi` reaching this test's database, files and mail."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(
        {
            "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
            "SECRET_KEY": app.config["SECRET_KEY"],
            "ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"],
            "IMAP_CA_FILE": imap.server.ca_file,
            "MAIL_SERVER": app.config["MAIL_SERVER"],
            "MAIL_PORT": str(app.config["MAIL_PORT"]),
            "BASE_URL": "http://localhost",
            "REDIS_URL": "",
            "MAIL_FETCH_SECONDS": "0",
            "MAIL_RELAY_SECONDS": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def mail_fetch(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `flask --app wsgi mail-fetch` as the worker or a cron job would."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "mail-fetch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_fetch_killed_midway_loses_nothing_and_doubles_nothing(app, desk, imap):
    sent = fifty()
    imap.deliver(*(one.raw for one in sent))
    env = subprocess_env(app, imap)
    process = mail_fetch(env)
    deadline = time.monotonic() + 120
    while handled_count() < 10:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the fetch handled nothing in two minutes"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    handled = handled_count()
    left = imap.folder("INBOX")
    moved = len(imap.folder("Procesados")) + len(imap.folder("Rechazados"))
    assert left, "the kill came after the last message: nothing was tested"
    # Moved only after the commit: at most the messages recorded, and none lost between.
    assert moved <= handled and moved + len(left) == 50
    assert handled < 48
    print(f"killed after {handled} handled, {moved} moved, {len(left)} left")

    rerun = mail_fetch(env)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()[-3000:]
    totals = json.loads(out.decode().strip().splitlines()[-1])
    assert totals["errors"] == 0 and totals["failed"] == {}
    assert totals["created"] + totals["replied"] + totals["ignored"] + totals["rejected"] == len(
        left
    )
    check_everything(imap, sent)


# ---------------------------------------------------------------- the fetcher's own rules


def test_starttls_mailboxes_are_read_too(app, desk, imap):
    desk.mailbox.security = "starttls"
    desk.mailbox.port = imap.server.starttls_port
    db.session.commit()
    raw, _mid = build("client@example.org", "Por STARTTLS", "Llegó cifrado.")
    imap.deliver(raw)
    assert fetch.run_pass().as_dict()["created"] == 1
    assert len(imap.folder("Procesados")) == 1


def test_a_message_whose_handling_raises_stays_and_does_not_block_the_next(
    app, desk, imap, monkeypatch, caplog
):
    first, _ = build("client@example.org", "Primero", "Uno.")
    second, _ = build("client@example.org", "Segundo", "Dos.")
    imap.deliver(first, second)
    real = fetch.handle

    def breaks_on_the_first(raw: bytes, **kwargs: object) -> Outcome:
        if b"Primero" in raw:
            raise RuntimeError("database went away")
        return real(raw, **kwargs)

    monkeypatch.setattr(fetch, "handle", breaks_on_the_first)
    result = fetch.run_pass().as_dict()
    assert (result["created"], result["errors"]) == (1, 1)
    assert imap.folder("INBOX") == [first]  # kept for the next pass, never deleted
    assert imap.folder("Procesados") == [second]
    assert "could not be handled" in caplog.text
    monkeypatch.setattr(fetch, "handle", real)
    assert fetch.run_pass().as_dict()["created"] == 1
    assert imap.folder("INBOX") == []


def test_a_crash_between_commit_and_move_is_a_no_op_the_next_time(app, desk, imap, monkeypatch):
    raw, mid = build("client@example.org", "Una vez", "Solo una vez.")
    imap.deliver(raw)

    def crash(*_args: object) -> None:
        raise ConnectionResetError("the connection died before the move")

    monkeypatch.setattr(fetch, "_move", crash)
    result = fetch.run_pass().as_dict()
    assert result["failed"] == {"Seguridad": "protocol: the connection died before the move"}
    assert imap.folder("INBOX") == [raw] and handled_count() == 1
    monkeypatch.undo()
    result = fetch.run_pass().as_dict()
    assert (result["created"], result["ignored"]) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 3
    assert imap.folder("INBOX") == [] and imap.folder("Procesados") == [raw]
    db.session.refresh(desk.mailbox)
    assert desk.mailbox.last_error is None and desk.mailbox.fetched_at is not None


def test_without_move_the_message_is_copied_flagged_and_expunged_alone(
    app, desk, imap, monkeypatch
):
    """COPY, \\Deleted, UID EXPUNGE of that message only: one flagged by a person stays."""
    raw, _mid = build("client@example.org", "Servidor antiguo", "Sin MOVE.")
    kept, _ = build("client@example.org", "Marcado por alguien", "Borrado a mano, sin purgar.")
    imap.deliver(kept, raw)
    with imap.client() as client:
        client.select_folder("INBOX")
        flagged = min(client.search("ALL"))
        client.add_flags([flagged], [b"\\Deleted"])
    real = fetch.IMAPClient.has_capability

    def no_move(self: object, capability: str) -> bool:
        return capability.upper() != "MOVE" and real(self, capability)

    monkeypatch.setattr(fetch.IMAPClient, "has_capability", no_move)
    assert fetch.run_pass().as_dict()["created"] == 1
    monkeypatch.undo()
    assert imap.folder("Procesados") == [raw]
    assert imap.folder("INBOX") == [kept]  # flagged by someone else: not expunged by us


def test_an_unreachable_mailbox_is_noted_and_the_others_are_still_read(app, desk, imap):
    broken = add_mailbox(imap, desk.area, name="Roto", password="wrong-password")
    raw, _mid = build("client@example.org", "Llega igual", "El otro buzón falla.")
    imap.deliver(raw)
    result = fetch.run_pass().as_dict()
    assert result["created"] == 1
    assert list(result["failed"]) == ["Roto"] and result["failed"]["Roto"].startswith("login:")
    db.session.refresh(broken)
    assert broken.last_error.startswith("login:")
    inactive = add_mailbox(imap, desk.area, name="Apagado")
    inactive.active = False
    db.session.commit()
    assert fetch.run_pass().as_dict()["mailboxes"] == 2  # Seguridad and Roto, not Apagado


def test_mail_fetch_prints_one_json_line(app, desk, imap):
    raw, _mid = build("client@example.org", "Desde la línea de comandos", "Hola.")
    imap.deliver(raw)
    result = app.test_cli_runner().invoke(args=["mail-fetch", "--mailbox", "Seguridad"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["created"] == 1
    result = app.test_cli_runner().invoke(args=["mail-fetch", "--mailbox", "No existe"])
    assert result.exit_code == 1


def test_the_embedded_mode_reads_the_mailboxes_by_itself(app, desk, imap, client):
    """Without Redis each web process reads the mailboxes every MAIL_FETCH_SECONDS."""
    raw, _mid = build("client@example.org", "Llega solo", "Nadie corrió mail-fetch.")
    imap.deliver(raw)
    app.config["MAIL_FETCH_SECONDS"] = 0.2
    try:
        client.get("/login")  # the first request starts the process's ticker
        ticker = app.extensions[worker.ticker_key("mail-fetch")]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(imap.folder("Procesados")) < 1:
            time.sleep(0.2)
    finally:
        app.config["MAIL_FETCH_SECONDS"] = 0
        worker.stop_ticker(app, "mail-fetch")
    assert not ticker.thread.is_alive()
    assert len(imap.folder("Procesados")) == 1
    db.session.rollback()
    subjects = db.session.scalars(select(Ticket.subject).where(Ticket.channel == "email")).all()
    assert subjects == ["Llega solo"]


def test_a_message_over_the_limit_is_refused_from_its_header_without_downloading_it(
    app, desk, imap, monkeypatch
):
    """RFC822.SIZE first: the large message's body never crosses the wire; the next is read."""
    large, large_id = build(
        "client@example.org",
        "Fotos del edificio",
        "Van adjuntas.",
        files=(("todo.pdf", b"%PDF-1.4\n" + os.urandom(40_000), "application/pdf"),),
    )
    small, _ = build("client@example.org", "Luz del pasillo", "Se apagó otra vez.")
    imap.deliver(large, small)
    with imap.client() as client:
        client.select_folder("INBOX")
        large_uid, small_uid = sorted(client.search("ALL"))
    requested: list[tuple[list[int], list[str]]] = []
    real = fetch.IMAPClient.fetch

    def watched(self, messages, data, *args, **kwargs):
        requested.append((list(messages), [str(item) for item in data]))
        return real(self, messages, data, *args, **kwargs)

    monkeypatch.setattr(fetch.IMAPClient, "fetch", watched)
    monkeypatch.setattr(fetch, "SIZE_BATCH", 1)  # sizes asked in batches (of one, here)
    app.config["MAIL_IN_MAX_MB"] = 0.02  # 20 KB: the large message is about 55 KB
    try:
        result = fetch.run_pass().as_dict()
    finally:
        app.config["MAIL_IN_MAX_MB"] = 25
    assert requested == [
        ([large_uid], ["RFC822.SIZE"]),
        ([small_uid], ["RFC822.SIZE"]),
        ([large_uid], ["BODY.PEEK[HEADER]"]),
        ([small_uid], ["BODY.PEEK[]"]),
    ]
    assert (result["created"], result["rejected"]) == (1, 1)
    assert imap.folder("Rechazados") == [large] and imap.folder("Procesados") == [small]
    row = db.session.scalars(
        select(InboundMessage).where(InboundMessage.message_id == large_id)
    ).one()
    assert (row.action, row.reason, row.sender) == ("rejected", "too-large", "client@example.org")
