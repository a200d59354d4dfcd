"""`flask mail-in`: each case of e-mail in (threading, who may write, content, safety, filing),
through the command an MTA pipes into, checked in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from servicedesk.extensions import db
from servicedesk.mailin import service
from servicedesk.models import (
    Attachment,
    Channel,
    InboundMessage,
    Notice,
    OutboxMessage,
    OutboxStatus,
    Role,
    Status,
    Ticket,
    User,
    utcnow,
)
from servicedesk.storage import path_of
from tests.api.conftest import Api, issue_token
from tests.conftest import csrf_token, login
from tests.factories import make_type
from tests.mailin.conftest import Desk, eml, ticket_no


def outbox_to(address: str, kind: str | None = None) -> list[OutboxMessage]:
    """The messages written to one address (of one kind)."""
    query = select(OutboxMessage).where(OutboxMessage.recipient == address)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def files_of(ticket: Ticket) -> dict[str, Attachment]:
    """A ticket's attachments by file name."""
    rows = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id))
    return {a.filename: a for a in rows}


def count(model: type, *conditions: object) -> int:
    """How many rows match."""
    return int(db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


# ---------------------------------------------------------------- filing by e-mail (item 6)


def test_a_clients_mail_files_a_ticket_acknowledged_with_its_number(desk: Desk, pipe) -> None:
    piped = pipe("new_plain_es.eml")
    assert (piped.code, piped.out) == (0, {"action": "created", "ticket": 2, "reason": "new"})
    ticket = ticket_no(2)
    assert ticket.channel == Channel.EMAIL
    assert ticket.requester_id == desk.client.id and ticket.created_by_id == desk.client.id
    assert ticket.subject == "Fuga de agua en el baño"  # RFC 2047 in the subject
    assert ticket.description.startswith("Hola,\n\nDesde anoche hay una fuga de agua en el baño")
    assert "Depto 101, Torre A" not in ticket.description  # the "-- " signature is cut
    # The type's required fields (ubicación, categoría) cannot come by mail: filed anyway.
    assert ticket.incomplete is True
    assert ticket.area_id == desk.version.ticket_type.default_area_id
    [ack] = outbox_to(desk.client.email or "", "received")
    assert ack.subject.startswith("[#2] ") and ack.ticket_id == ticket.id
    assert "#2" in ack.body_text
    # The area's new-ticket mail, through the same fan-out as a web filing.
    assert count(Notice, Notice.ticket_id == ticket.id, Notice.kind == "new_ticket") == 1
    assert outbox_to(desk.admin.email or "", "new_ticket")
    # The original, for the desk only.
    [original] = [a for a in files_of(ticket).values() if a.filename.endswith(".eml")]
    assert original.internal and original.content_type == "message/rfc822"
    assert path_of(original.stored_name).read_bytes() == eml("new_plain_es.eml")
    row = db.session.scalar(select(InboundMessage))
    assert row is not None
    assert (row.message_id, row.action, row.ticket_id, row.sender) == (
        "<CAnewplain001@mail.gmail.com>",
        "created",
        ticket.id,
        "client@example.org",
    )


def test_the_original_eml_is_downloadable_by_the_desk_not_the_client(
    desk: Desk, pipe, app: Flask
) -> None:
    pipe("new_plain_es.eml")
    [original] = [a for a in files_of(ticket_no(2)).values() if a.filename.endswith(".eml")]
    clara, carla = app.test_client(), app.test_client()
    login(clara, "client@example.org")
    login(carla, "colab@example.org")
    assert clara.get(f"/adjuntos/{original.id}").status_code == 404
    with carla.get(f"/adjuntos/{original.id}") as download:
        assert download.status_code == 200 and download.data == eml("new_plain_es.eml")
        assert "attachment" in download.headers["Content-Disposition"]


def test_mailbox_area_and_type_are_used(desk: Desk, pipe, app: Flask) -> None:
    other = make_type("limpieza", "Limpieza")
    seguridad = desk.colab.areas[0]
    piped = pipe(
        "new_html_only.eml",
        "--mailbox",
        "seguridad",
        "--area",
        str(seguridad.id),
        "--type",
        "limpieza",
    )
    ticket = ticket_no(piped.out["ticket"])
    assert ticket.ticket_type_id == other.ticket_type_id and ticket.area_id == seguridad.id
    assert ticket.incomplete is False  # that type requires nothing
    row = db.session.scalar(select(InboundMessage))
    assert row is not None and row.mailbox == "seguridad"


def test_a_missing_type_is_a_rejection_not_a_crash(desk: Desk, pipe) -> None:
    piped = pipe("new_plain_es.eml", "--type", "nope")
    assert (piped.code, piped.out["reason"]) == (1, "no-type")


def test_a_collaborator_completes_an_incomplete_ticket_through_edit_fields(
    desk: Desk, pipe, client, app
) -> None:
    pipe("new_plain_es.eml")
    api = Api(app, issue_token(app, "colab@example.org"))  # the API says it too
    listed = {t["number"]: t["incomplete"] for t in api.get("/tickets").get_json()["items"]}
    assert listed == {1: False, 2: True} and api.get("/tickets/2").get_json()["incomplete"]
    login(client, "colab@example.org")
    page = client.get("/tablero/tickets/2").get_data(as_text=True)
    assert "Datos incompletos" in page
    board = client.get("/tablero/").get_data(as_text=True)
    assert "Datos incompletos" in board
    token = csrf_token(page)
    ticket = ticket_no(2)
    response = client.post(
        "/tablero/tickets/2/campos",
        data={
            "csrf_token": token,
            "version": str(ticket.version),
            "cf-ubicacion": "Baño, depto 101",
            "cf-categoria": "agua",
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    assert ticket_no(2).incomplete is False
    assert api.get("/tickets/2").get_json()["incomplete"] is False


# ---------------------------------------------------------------- content (item 4)


@pytest.mark.parametrize(
    ("name", "subject", "words"),
    [
        ("new_html_only.eml", "Luz del pasillo", "La luz del pasillo del piso 3 no enciende"),
        ("new_iso8859.eml", "Ascensor detenido en el sótano", "está detenido en el sótano"),
        ("new_cp1252.eml", "Cobro de € 50 “extra”", "Me cobraron € 50 “extra” por la mantención –"),
        ("new_latin1_mislabelled.eml", "Cuenta del mes", "Gasto común: € 120 – “pagado”."),
        ("new_rfc2047.eml", "Portón del estacionamiento averiado — urgente", "no abre con el"),
    ],
)
def test_encodings_and_html_read_right(desk: Desk, pipe, name: str, subject: str, words: str):
    piped = pipe(name)
    assert piped.out["action"] == "created"
    ticket = ticket_no(piped.out["ticket"])
    assert ticket.subject == subject
    assert words in ticket.description
    assert "<" not in ticket.description and "alert(" not in ticket.description


def test_attachments_go_through_the_upload_rules_and_refused_ones_are_named(
    desk: Desk, pipe
) -> None:
    piped = pipe("new_attachments.eml")
    ticket = ticket_no(piped.out["ticket"])
    files = files_of(ticket)
    assert {"factura.pdf", "baño foto.png"} <= set(files)  # RFC 2231 file name decoded
    assert not files["factura.pdf"].internal and files["baño foto.png"].width == 1
    assert "arreglo.exe" not in files
    [note] = [c for c in ticket.comments if c.internal]
    assert "arreglo.exe" in note.body and note.author_id is None


def test_an_inline_image_is_kept(desk: Desk, pipe) -> None:
    ticket = ticket_no(pipe("new_inline_image.eml").out["ticket"])
    pictures = [a for a in files_of(ticket).values() if a.content_type == "image/png"]
    assert len(pictures) == 1 and not pictures[0].internal
    assert ticket.description == "Hay una grieta en la pared del living, miren la foto."


def test_an_attached_message_is_read_into_the_description(desk: Desk, pipe) -> None:
    ticket = ticket_no(pipe("forwarded_message.eml").out["ticket"])
    assert ticket.subject == "Aviso de corte de agua"  # "Fwd:" dropped
    assert ticket.description.startswith("Les reenvío el aviso que me llegó, ¿es cierto?")
    assert "Corte de agua" in ticket.description
    assert "Mañana habrá corte de agua de 9 a 13." in ticket.description
    [note] = [c for c in ticket.comments if c.internal]
    assert "aviso.eml" in note.body  # as a file, .eml is not among the accepted types


def test_a_forward_keeps_the_forwarded_text(desk: Desk, pipe) -> None:
    ticket = ticket_no(pipe("forwarded_inline_gmail.eml").out["ticket"])
    assert ticket.subject == "Corte de luz programado"
    assert ticket.description.startswith("¿Esto afecta al edificio?")
    assert "habrá un corte de luz de 10 a 14 h" in ticket.description


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("reply_gmail_es.eml", "Sigue goteando, pero menos. Mañana estoy en casa desde las 9."),
        ("reply_gmail_en.eml", "It is still leaking a little. I am home tomorrow from 9."),
        (
            "reply_outlook_es.eml",
            "Gracias por la respuesta, la fuga se detuvo.\n\nAtentamente,\nClara",
        ),
        ("reply_outlook_en.eml", "The plumber fixed it, thank you."),
        ("reply_apple_es.eml", "Perfecto, quedo atenta."),
        ("reply_apple_en.eml", "Great, see you tomorrow."),
    ],
)
def test_a_clients_reply_is_a_public_comment_without_the_quoted_history(
    desk: Desk, pipe, name: str, text: str
) -> None:
    piped = pipe(name)
    assert (piped.code, piped.out) == (
        0,
        {"action": "replied", "ticket": 1, "reason": "in-reply-to"},
    )
    [comment] = ticket_no(1).comments
    assert comment.body == text and not comment.internal and comment.author_id == desk.client.id
    # The desk hears of it (the owner or the area), the client gets no echo.
    assert outbox_to(desk.colab.email or "", "client_reply") or outbox_to(
        desk.admin.email or "", "client_reply"
    )
    assert not outbox_to(desk.client.email or "", "reply")[1:]
    assert any(a.filename.endswith(".eml") and a.internal for a in files_of(ticket_no(1)).values())


def test_a_reply_with_only_a_picture_attaches_it(desk: Desk, pipe) -> None:
    piped = pipe("reply_files_only.eml")
    assert piped.out["action"] == "replied"
    assert "gotera.png" in files_of(ticket_no(1))


# ---------------------------------------------------------------- threading (item 2)


def test_a_subject_tag_threads_a_reply_from_the_requester(desk: Desk, pipe) -> None:
    piped = pipe("reply_subject_tag.eml")
    assert piped.out == {"action": "replied", "ticket": 1, "reason": "subject-tag"}
    assert (
        ticket_no(1).comments[0].body == "Escribo desde otro programa: la fuga volvió esta tarde."
    )


@pytest.mark.parametrize(
    "name", ["tag_other_client.eml", "tag_stranger.eml", "reply_foreign_thread.eml"]
)
def test_nobody_writes_into_a_ticket_they_cannot_see(desk: Desk, pipe, name: str) -> None:
    piped = pipe(name)
    assert (piped.code, piped.out) == (
        1,
        {"action": "rejected", "ticket": None, "reason": "not-allowed"},
    )
    assert ticket_no(1).comments == []
    assert count(Ticket) == 1 and count(User, User.email == "stranger@elsewhere.example") == 0
    assert not outbox_to("stranger@elsewhere.example") and not outbox_to("other@example.org")


def test_a_collaborators_reply_from_their_mail_reaches_the_client(desk: Desk, pipe) -> None:
    piped = pipe("reply_collaborator.eml")
    assert piped.out == {"action": "replied", "ticket": 1, "reason": "in-reply-to"}
    [comment] = ticket_no(1).comments
    assert comment.body == "Hola Clara, mañana a las 10 pasa el gasfíter."
    assert not comment.internal and comment.author_id == desk.colab.id
    assert ticket_no(1).first_response_at is not None
    [mail] = [
        m
        for m in outbox_to(desk.client.email or "", "reply")
        if m.message_id != "<out-reply-1@localhost>"
    ]
    assert "mañana a las 10" in mail.body_text and mail.ticket_id == desk.ticket.id


def test_a_collaborator_writing_to_the_note_address_adds_an_internal_note(desk: Desk, pipe) -> None:
    piped = pipe("note_collaborator.eml")
    assert piped.out == {"action": "replied", "ticket": 1, "reason": "note"}
    [comment] = ticket_no(1).comments
    assert comment.internal and comment.author_id == desk.colab.id
    assert len(outbox_to(desk.client.email or "")) == 1  # only the fixture's own message


def test_the_note_address_means_nothing_from_a_client(desk: Desk, pipe) -> None:
    raw = eml(
        "reply_gmail_es.eml",
        **{"To: Mesa de ayuda <servicedesk@localhost>": "To: servicedesk+nota@localhost"},
    )
    pipe(raw)
    [comment] = ticket_no(1).comments
    assert not comment.internal


def test_a_reply_to_a_recently_closed_ticket_reopens_it(desk: Desk, pipe) -> None:
    ticket = ticket_no(1)
    ticket.status = Status.CLOSED
    ticket.closed_at = ticket.resolved_at = utcnow()
    db.session.commit()
    piped = pipe("reply_gmail_es.eml")
    assert piped.out == {"action": "replied", "ticket": 1, "reason": "in-reply-to"}
    assert ticket_no(1).status == Status.OPEN and len(ticket_no(1).comments) == 1


def test_a_reply_to_a_ticket_closed_long_ago_files_a_follow_up(desk: Desk, pipe) -> None:
    ticket = ticket_no(1)
    ticket.status = Status.CLOSED
    ticket.closed_at = ticket.resolved_at = utcnow() - timedelta(days=60)
    db.session.commit()
    piped = pipe("reply_gmail_es.eml")
    assert piped.out == {"action": "created", "ticket": 2, "reason": "follow-up"}
    assert ticket_no(1).status == Status.CLOSED and ticket_no(1).comments == []
    follow = ticket_no(2)
    assert follow.subject == "Nueva respuesta — Fuga de agua"
    assert any("#1" in c.body and c.internal for c in follow.comments)


# ---------------------------------------------------------------- who may write (item 3)


def test_an_unknown_sender_gets_a_client_account_by_default(desk: Desk, pipe) -> None:
    piped = pipe("new_unknown_sender.eml")
    assert piped.out["action"] == "created"
    user = db.session.scalar(select(User).where(User.email == "nuevo@elsewhere.example"))
    assert user is not None and user.role == Role.CLIENT and user.name == "Vecino Nuevo"
    assert user.password_hash is None
    assert ticket_no(piped.out["ticket"]).requester_id == user.id
    assert outbox_to("nuevo@elsewhere.example", "received")


def test_only_listed_domains_get_accounts(desk: Desk, pipe, app: Flask) -> None:
    app.config.update(MAIL_IN_UNKNOWN_SENDERS="domains", MAIL_IN_DOMAINS=["vecinos.example"])
    try:
        assert pipe("new_listed_domain.eml").out["action"] == "created"
        refused = pipe("new_unknown_sender.eml")
    finally:
        app.config.update(MAIL_IN_UNKNOWN_SENDERS="create", MAIL_IN_DOMAINS=[])
    assert (refused.code, refused.out["reason"]) == (1, "unknown-sender-refused")
    assert count(User, User.email == "nuevo@elsewhere.example") == 0
    [polite] = outbox_to("nuevo@elsewhere.example")
    assert polite.kind == "mail_refused" and "Ruidos molestos en el 4B" in polite.body_text


def test_refused_senders_get_one_polite_answer_a_day(desk: Desk, pipe, app: Flask) -> None:
    app.config.update(MAIL_IN_UNKNOWN_SENDERS="refuse")
    try:
        first = pipe("new_unknown_sender.eml")
        second = pipe(eml("new_unknown_sender.eml", **{"unknown.0001": "unknown.0002"}))
        listed = pipe("new_listed_domain.eml")
    finally:
        app.config.update(MAIL_IN_UNKNOWN_SENDERS="create")
    assert first.out["reason"] == second.out["reason"] == listed.out["reason"]
    assert len(outbox_to("nuevo@elsewhere.example")) == 1
    assert count(Ticket) == 1 and count(User, User.email.like("%.example")) == 0
    assert pipe("new_plain_es.eml").out["action"] == "created"  # known clients still file


def test_a_deactivated_client_and_the_desk_do_not_file_by_mail(desk: Desk, pipe) -> None:
    desk.client.active = False
    db.session.commit()
    assert pipe("new_plain_es.eml").out["reason"] == "inactive-sender"
    staff = eml(
        "new_html_only.eml",
        **{"From: Clara Client <client@example.org>": "From: colab@example.org"},
    )
    assert pipe(staff).out["reason"] == "staff-sender"
    assert count(Ticket) == 1


# ---------------------------------------------------------------- safety (item 5)


def test_the_same_message_twice_does_nothing_the_second_time(desk: Desk, pipe) -> None:
    assert pipe("new_plain_es.eml").out["action"] == "created"
    again = pipe("new_plain_es.eml")
    assert (again.code, again.out) == (
        0,
        {"action": "ignored", "ticket": None, "reason": "duplicate"},
    )
    assert count(Ticket) == 2 and len(outbox_to(desk.client.email or "", "received")) == 1


def test_a_message_without_message_id_is_recognised_by_its_bytes(desk: Desk, pipe) -> None:
    assert pipe("new_no_message_id.eml").out["action"] == "created"
    assert pipe("new_no_message_id.eml").out["reason"] == "duplicate"
    row = db.session.scalar(select(InboundMessage))
    assert row is not None and row.message_id.endswith("@mail-in.invalid>")


@pytest.mark.parametrize(
    "name",
    [
        "auto_replied.eml",
        "auto_x_autoreply.eml",
        "auto_x_autorespond.eml",
        "auto_outlook_ooo.eml",
        "auto_read_receipt.eml",
    ],
)
def test_automatic_replies_are_dropped(desk: Desk, pipe, name: str) -> None:
    before = count(OutboxMessage)
    piped = pipe(name)
    assert (piped.code, piped.out) == (
        0,
        {"action": "ignored", "ticket": None, "reason": "auto-reply"},
    )
    assert count(Ticket) == 1 and ticket_no(1).comments == []
    assert count(OutboxMessage) == before


@pytest.mark.parametrize(
    "name",
    [
        "new_bulk_precedence.eml",
        "new_list.eml",
        "auto_precedence_junk.eml",
        "new_auto_generated.eml",
    ],
)
def test_machine_and_bulk_mail_files_without_an_acknowledgement(desk: Desk, pipe, name: str):
    piped = pipe(name)
    assert piped.out["action"] == "created" and piped.out["reason"] == "no-acknowledgement"
    assert not outbox_to(desk.client.email or "", "received")


def test_our_own_mail_coming_back_is_ignored(desk: Desk, pipe) -> None:
    assert pipe("own_message.eml").out == {
        "action": "ignored",
        "ticket": None,
        "reason": "own-message",
    }
    echo = eml("new_plain_es.eml", **{"<CAnewplain001@mail.gmail.com>": "<out-reply-1@localhost>"})
    assert pipe(echo).out["reason"] == "own-message"
    assert count(Ticket) == 1


@pytest.mark.parametrize(
    ("name", "message_id", "words"),
    [
        ("bounce_dsn.eml", "<out-bounced-1@localhost>", "5.1.1"),
        ("bounce_plain.eml", "<out-bounced-2@localhost>", "bounced"),
    ],
)
def test_a_bounce_marks_its_outbox_message_and_files_nothing(
    desk: Desk, pipe, name: str, message_id: str, words: str
) -> None:
    piped = pipe(name)
    assert (piped.code, piped.out) == (0, {"action": "ignored", "ticket": 1, "reason": "bounce"})
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message_id))
    assert row is not None and row.status == OutboxStatus.FAILED
    assert row.last_error and row.last_error.startswith("bounced") and words in row.last_error
    others = select(OutboxMessage).where(OutboxMessage.message_id == "<out-reply-1@localhost>")
    assert db.session.scalar(others).status == OutboxStatus.SENT  # type: ignore[union-attr]
    assert count(Ticket) == 1 and count(User) == 4
    [note] = ticket_no(1).comments
    assert note.internal and row.recipient in note.body


def test_too_many_tickets_from_one_sender_in_an_hour_are_refused(desk: Desk, pipe, app: Flask):
    app.config["MAIL_IN_TICKETS_PER_HOUR"] = 3
    try:
        outcomes = [
            pipe(eml("new_plain_es.eml", **{"CAnewplain001": f"flood{n}"})).out for n in range(5)
        ]
    finally:
        app.config["MAIL_IN_TICKETS_PER_HOUR"] = 10
    assert [o["action"] for o in outcomes] == ["created"] * 3 + ["rejected"] * 2
    assert outcomes[-1]["reason"] == "rate-limited"
    assert pipe("reply_gmail_es.eml").out["action"] == "replied"  # replies are not limited


def test_a_message_too_large_is_refused(desk: Desk, pipe, app: Flask) -> None:
    app.config["MAIL_IN_MAX_MB"] = 0.01  # 10 KB, the fixture is 12
    try:
        piped = pipe("too_large.eml")
    finally:
        app.config["MAIL_IN_MAX_MB"] = 25
    assert (piped.code, piped.out) == (
        1,
        {"action": "rejected", "ticket": None, "reason": "too-large"},
    )
    assert pipe("too_large.eml").out["reason"] == "duplicate"  # recorded, not retried
    row = db.session.scalars(
        select(InboundMessage).where(InboundMessage.message_id == "<big.0001@example.org>")
    ).one()
    assert row.sender == "client@example.org"  # read from its header alone


@pytest.mark.parametrize("name", ["malformed_no_from.eml", "malformed_bad_from.eml"])
def test_a_malformed_message_is_rejected_and_the_next_one_works(desk: Desk, pipe, name: str):
    piped = pipe(name)
    assert (piped.code, piped.out["action"], piped.out["reason"]) == (1, "rejected", "malformed")
    assert pipe("new_plain_es.eml").out["action"] == "created"


@pytest.mark.parametrize("raw", [b"", b"   \n", None])
def test_unreadable_input_exits_2(desk: Desk, pipe, raw: bytes | None) -> None:
    piped = pipe(raw if raw is not None else eml("garbage.eml"))
    assert (piped.code, piped.out["reason"]) == (2, "unreadable")
    assert count(InboundMessage) == 0


def test_a_message_that_breaks_the_pipeline_is_rejected_and_logged(
    desk: Desk, pipe, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(_mail: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "_route", boom)
    piped = pipe("new_plain_es.eml")
    assert (piped.code, piped.out["reason"]) == (1, "error")
    assert "a bug" in caplog.text
    monkeypatch.undo()
    assert pipe("new_html_only.eml").out["action"] == "created"


def test_a_loop_with_an_auto_responder_stops_after_the_first_message(desk: Desk, pipe) -> None:
    """The desk acknowledges; the client's vacation responder answers; nothing more is sent."""
    filed = pipe("new_plain_es.eml")
    [ack] = outbox_to(desk.client.email or "", "received")
    sent = count(OutboxMessage)
    # A responder that says what it is.
    vacation = eml("auto_replied.eml", **{"<out-reply-1@localhost>": ack.message_id})
    assert pipe(vacation).out["action"] == "ignored"
    # One that says nothing (only its subject gives it away).
    silent = eml(
        "reply_gmail_en.eml",
        **{
            "<out-reply-1@localhost>": ack.message_id,
            "CAgmailen0001": "silent-responder",
            "Subject: Re: [#1] New reply": "Subject: Out of office: [#2]",
        },
    )
    assert pipe(silent).out["reason"] == "auto-reply"
    # One that pretends to be a person: a public comment, the desk is told, the client not.
    human = eml(
        "reply_gmail_en.eml",
        **{"<out-reply-1@localhost>": ack.message_id, "CAgmailen0001": "fake-human"},
    )
    assert pipe(human).out == {
        "action": "replied",
        "ticket": filed.out["ticket"],
        "reason": "in-reply-to",
    }
    assert len(outbox_to(desk.client.email or "")) == 2  # the fixture's message and the ack
    assert all(
        m.recipient != desk.client.email
        for m in db.session.scalars(select(OutboxMessage).offset(sent))
    )


def test_outgoing_mail_says_it_is_automatic(desk: Desk, pipe, app: Flask, mailbox) -> None:
    pipe("new_plain_es.eml")
    [sent] = mailbox.to("client@example.org")
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["Message-ID"] == outbox_to("client@example.org", "received")[0].message_id
