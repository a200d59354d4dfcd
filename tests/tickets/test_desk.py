"""Collaborators work tickets: replies, notes, status, take ownership, assign, close, rate."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path

import pypdf
from sqlalchemy import func, select

from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    Attachment,
    Channel,
    Comment,
    Feedback,
    Role,
    Status,
    Ticket,
    TicketEvent,
    User,
    utcnow,
)
from servicedesk.tickets.visibility import visible_comments
from tests.conftest import csrf_token, login, make_user
from tests.tickets.conftest import PNG, file_ticket, upload


def desk_client(app, user):
    """A test client signed in as a member of the desk."""
    other = app.test_client()
    login(other, user.email)
    return other


def act(client, ticket: Ticket, action: str, **data):
    """Post one desk action with a token from the ticket page."""
    page = client.get(f"/tablero/tickets/{ticket.number}").get_data(as_text=True)
    return client.post(
        f"/tablero/tickets/{ticket.number}/{action}", data={"csrf_token": csrf_token(page), **data}
    )


def test_public_reply_sets_first_response_once(app, filed, collaborator):
    desk = desk_client(app, collaborator)
    act(desk, filed, "responder", body="Nota interna", internal="1")
    assert db.session.get(Ticket, filed.id).first_response_at is None
    act(desk, filed, "responder", body="Vamos mañana")
    first = db.session.get(Ticket, filed.id).first_response_at
    assert first is not None
    act(desk, filed, "responder", body="Otra respuesta")
    assert db.session.get(Ticket, filed.id).first_response_at == first


def test_internal_notes_never_reach_the_client(app, client, filed, collaborator):
    desk = desk_client(app, collaborator)
    act(
        desk,
        filed,
        "responder",
        body="SECRETO interno",
        internal="1",
        attachments=[upload(PNG, "interno.png")],
    )
    page = client.get(f"/mesa-de-ayuda/tickets/{filed.number}").get_data(as_text=True)
    assert "SECRETO" not in page and "interno.png" not in page
    internal = db.session.scalar(select(Attachment).where(Attachment.internal.is_(True)))
    assert client.get(f"/adjuntos/{internal.id}").status_code == 404
    allowed = desk.get(f"/adjuntos/{internal.id}")
    assert allowed.status_code == 200
    allowed.close()


def test_one_rule_for_the_conversation_everywhere(app, client, filed, collaborator):
    """Desk page shows the note; the client's page, the ticket PDF and a deactivated
    collaborator's view of the thread do not (tickets/visibility.visible_comments)."""
    desk = desk_client(app, collaborator)
    act(desk, filed, "responder", body="Respuesta PUBLICA")
    act(desk, filed, "responder", body="Nota RESERVADA", internal="1")
    assert "Nota RESERVADA" in desk.get(f"/tablero/tickets/{filed.number}").get_data(as_text=True)
    page = client.get(f"/mesa-de-ayuda/tickets/{filed.number}").get_data(as_text=True)
    assert "Respuesta PUBLICA" in page and "RESERVADA" not in page
    pdf = desk.get(f"/tablero/tickets/{filed.number}/pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "PUBLICA" in text and "RESERVADA" not in text
    ticket = db.session.get(Ticket, filed.id)
    bodies = lambda reader: [c.body for c in visible_comments(ticket, reader)]  # noqa: E731
    assert bodies(collaborator) == ["Respuesta PUBLICA", "Nota RESERVADA"]
    collaborator.active = False
    assert bodies(collaborator) == ["Respuesta PUBLICA"]
    assert bodies(None) == bodies(ticket.requester) == ["Respuesta PUBLICA"]


def test_status_life_and_times(app, client, filed, collaborator):
    desk = desk_client(app, collaborator)
    version = lambda: str(db.session.get(Ticket, filed.id).version)  # noqa: E731
    act(
        desk,
        filed,
        "propiedades",
        status="in_progress",
        priority="high",
        area_id="",
        version=version(),
    )
    ticket = db.session.get(Ticket, filed.id)
    assert ticket.status == Status.IN_PROGRESS and ticket.priority == "high"
    act(
        desk,
        filed,
        "propiedades",
        status="resolved",
        priority="high",
        area_id="",
        version=version(),
    )
    assert db.session.get(Ticket, filed.id).resolved_at is not None
    act(desk, filed, "cerrar", resolution="Cambiamos el empaque.", version=version())
    ticket = db.session.get(Ticket, filed.id)
    assert ticket.status == Status.CLOSED and ticket.closed_at and ticket.closure_count == 1
    assert ticket.first_response_at is not None  # the resolution note is public
    kinds = [
        e.kind
        for e in db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == filed.id).order_by(TicketEvent.id)
        )
    ]
    assert kinds[0] == "created" and kinds.count("status") == 3 and "priority" in kinds
    assert all(e.actor_id for e in db.session.scalars(select(TicketEvent)))


def test_impossible_transition_is_refused(app, filed, collaborator):
    desk = desk_client(app, collaborator)
    act(desk, filed, "cerrar", resolution="", version=str(filed.version))
    response = act(
        desk,
        filed,
        "propiedades",
        status="waiting",
        priority="normal",
        area_id="",
        version=str(db.session.get(Ticket, filed.id).version),
    )
    assert response.status_code == 302
    assert db.session.get(Ticket, filed.id).status == Status.CLOSED


def test_stale_edit_gets_a_conflict_page_that_keeps_the_input(app, filed, collaborator, admin):
    first = desk_client(app, collaborator)
    second = desk_client(app, admin)
    stale_version = str(filed.version)
    act(
        first,
        filed,
        "propiedades",
        status="in_progress",
        priority="normal",
        area_id="",
        version=stale_version,
    )
    response = act(
        second, filed, "cerrar", resolution="Mi nota de cierre larga", version=stale_version
    )
    assert response.status_code == 409
    assert "Mi nota de cierre larga" in response.get_data(as_text=True)
    assert db.session.get(Ticket, filed.id).status == Status.IN_PROGRESS


def test_take_ownership_and_the_loser_sees_who(app, filed, collaborator):
    other = make_user(Role.COLLABORATOR, "second@example.org", "Segundo Colab")
    first, second = desk_client(app, collaborator), desk_client(app, other)
    page = second.get(f"/tablero/tickets/{filed.number}").get_data(as_text=True)
    token = csrf_token(page)
    assert act(first, filed, "tomar", seen_assignee="").status_code == 302
    lost = second.post(
        f"/tablero/tickets/{filed.number}/tomar", data={"csrf_token": token, "seen_assignee": ""}
    )
    assert lost.status_code == 409
    page = second.get(f"/tablero/tickets/{filed.number}").get_data(as_text=True)
    assert collaborator.name in page
    ticket = db.session.get(Ticket, filed.id)
    assert ticket.assignee_id == collaborator.id and ticket.status == Status.OPEN


def test_take_ownership_race(app, filed):
    """Twenty collaborators press "Tomar posesión" at once: exactly one wins."""
    people = [make_user(Role.COLLABORATOR, f"racer{i}@example.org") for i in range(20)]
    clients, tokens = [], []
    for person in people:
        c = desk_client(app, person)
        tokens.append(csrf_token(c.get(f"/tablero/tickets/{filed.number}").get_data(as_text=True)))
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    results: list[int] = []
    url = f"/tablero/tickets/{filed.number}/tomar"  # read once: ORM objects stay in this thread

    def press(c, token):
        with app.app_context():
            barrier.wait()
            response = c.post(url, data={"csrf_token": token, "seen_assignee": ""})
            results.append(response.status_code)

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [302] + [409] * 19
    db.session.expire_all()
    assert db.session.get(Ticket, filed.id).assignee_id in {p.id for p in people}
    events = db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "took_ownership")
    )
    assert events == 1


def test_only_admins_assign(app, filed, collaborator, admin):
    desk = desk_client(app, collaborator)
    assert act(desk, filed, "asignar", assignee_id=str(collaborator.id)).status_code == 403
    boss = desk_client(app, admin)
    act(boss, filed, "asignar", assignee_id=str(collaborator.id))
    assert db.session.get(Ticket, filed.id).assignee_id == collaborator.id
    act(boss, filed, "asignar", assignee_id=str(filed.requester_id))  # a client: refused
    assert db.session.get(Ticket, filed.id).assignee_id == collaborator.id


def test_edit_fields_validated_against_the_tickets_version(app, filed, collaborator):
    desk = desk_client(app, collaborator)
    bad = act(
        desk,
        filed,
        "campos",
        **{"cf-ubicacion": "", "cf-categoria": "agua", "version": str(filed.version)},
    )
    assert bad.status_code == 400
    good = act(
        desk,
        filed,
        "campos",
        **{"cf-ubicacion": "Depto 202", "cf-categoria": "agua", "version": str(filed.version)},
    )
    assert good.status_code == 302
    assert db.session.get(Ticket, filed.id).data["ubicacion"] == "Depto 202"
    # A file reference typed into the form is not taken: files arrive only as uploads.
    current = db.session.get(Ticket, filed.id).version
    typed = act(
        desk,
        filed,
        "campos",
        **{
            "cf-ubicacion": "Depto 203",
            "cf-categoria": "agua",
            "cf-fotos": "1",
            "version": str(current),
        },
    )
    assert typed.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Ticket, filed.id).data
    assert stored["ubicacion"] == "Depto 203" and "fotos" not in stored


def test_reopen_window_and_feedback_once_per_closure(app, client, filed, collaborator):
    desk = desk_client(app, collaborator)
    act(desk, filed, "cerrar", resolution="Listo", version=str(filed.version))
    page = f"/mesa-de-ayuda/tickets/{filed.number}"
    token = csrf_token(client.get(page).get_data(as_text=True))
    rate = lambda r, c="": client.post(  # noqa: E731
        page + "/valorar",
        data={
            "csrf_token": token,
            "rating": r,
            "comment": c,
        },
    )
    assert rate("9").status_code == 400
    assert rate("4", "Bien").status_code == 302
    assert rate("5", "Muy bien").status_code == 302  # edited within the window
    [feedback] = db.session.scalars(select(Feedback)).all()
    assert (feedback.rating, feedback.comment, feedback.closure) == (5, "Muy bien", 1)
    db.session.execute(db.update(Feedback).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert rate("1").status_code == 400
    client.post(page + "/reabrir", data={"csrf_token": token})
    assert db.session.get(Ticket, filed.id).status == Status.OPEN
    assert rate("3").status_code == 400  # not closed now
    act(desk, filed, "cerrar", resolution="", version=str(db.session.get(Ticket, filed.id).version))
    assert rate("3").status_code == 302  # a new closure, a new rating
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 2
    db.session.execute(db.update(Ticket).values(closed_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    client.post(page + "/reabrir", data={"csrf_token": token})
    assert db.session.get(Ticket, filed.id).status == Status.CLOSED


def test_attachment_download_headers(app, client, filed, other_client):
    attachment = db.session.scalars(select(Attachment)).one()
    response = client.get(f"/adjuntos/{attachment.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "image/png" and response.data == PNG
    response.close()
    thumb = client.get(f"/adjuntos/{attachment.id}/miniatura")
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    thumb.close()
    stranger = app.test_client()
    login(stranger, other_client.email)
    assert stranger.get(f"/adjuntos/{attachment.id}").status_code == 404
    assert stranger.get(f"/adjuntos/{attachment.id}/miniatura").status_code == 404
    assert app.test_client().get(f"/adjuntos/{attachment.id}").status_code == 302


def test_a_file_missing_from_the_store_is_not_found_not_a_server_error(app, client, filed, caplog):
    attachment = db.session.scalars(select(Attachment)).one()
    (Path(app.config["ATTACHMENTS_DIR"]) / attachment.stored_name).unlink()
    for path in (f"/adjuntos/{attachment.id}", f"/adjuntos/{attachment.id}/miniatura"):
        assert client.get(path).status_code == 404
    assert "missing from the store" in caplog.text
    page = client.get(f"/mesa-de-ayuda/tickets/{filed.number}")
    assert page.status_code == 200 and "foto.png" in page.get_data(as_text=True)


def test_on_behalf_for_an_existing_client(app, client_user, collaborator, soporte):
    desk = desk_client(app, collaborator)
    response = file_ticket(
        desk, {"requester_email": client_user.email, "channel": "phone"}, path="/tablero/nueva/"
    )
    assert response.status_code == 302
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.requester_id == client_user.id and ticket.channel == Channel.PHONE
    assert ticket.created_by_id == collaborator.id


def test_on_behalf_creates_and_invites_a_new_client(app, admin, soporte, mailbox):
    desk = desk_client(app, admin)
    missing = file_ticket(
        desk,
        {"requester_email": "vecina@example.org", "channel": "walk_in"},
        path="/tablero/nueva/",
    )
    assert missing.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "vecina@example.org")) is None
    response = file_ticket(
        desk,
        {
            "requester_email": "vecina@example.org",
            "requester_name": "Vecina Nueva",
            "channel": "walk_in",
        },
        path="/tablero/nueva/",
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "vecina@example.org"))
    assert user.role == Role.CLIENT
    assert db.session.scalars(select(Ticket)).one().channel == Channel.WALK_IN
    # The invitation to set a password, and the notice of the ticket filed for her.
    subjects = [str(m["Subject"]) for m in mailbox.to("vecina@example.org")]
    assert len(subjects) == 2 and any("Se registró un ticket para ti" in s for s in subjects)


def test_on_behalf_refuses_staff_as_requester(app, admin, collaborator, soporte):
    desk = desk_client(app, admin)
    response = file_ticket(desk, {"requester_email": collaborator.email}, path="/tablero/nueva/")
    assert response.status_code == 400
    assert db.session.scalars(select(Ticket)).all() == []


def test_area_change_and_comments_are_on_the_timeline(app, filed, collaborator):
    area = Area(name="Seguridad 2")
    db.session.add(area)
    db.session.commit()
    desk = desk_client(app, collaborator)
    act(
        desk,
        filed,
        "propiedades",
        status=str(filed.status),
        priority="normal",
        area_id=str(area.id),
        version=str(filed.version),
    )
    assert db.session.get(Ticket, filed.id).area_id == area.id
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_ticket_number_beyond_bigint_is_a_404(app, collaborator):
    desk = desk_client(app, collaborator)
    assert desk.get("/tablero/tickets/99999999999999999999").status_code == 404


def test_on_behalf_refuses_a_deactivated_client(app, admin, client_user, soporte):
    """One rule for whom the desk files (requester_problem): the API test has its twin."""
    client_user.active = False
    db.session.commit()
    desk = desk_client(app, admin)
    response = file_ticket(
        desk, {"requester_email": client_user.email, "channel": "phone"}, path="/tablero/nueva/"
    )
    assert response.status_code == 400
    assert "desactivada" in response.get_data(as_text=True)
    assert db.session.scalars(select(Ticket)).all() == []


def test_on_behalf_keeps_every_answer_when_the_client_is_missing(app, admin, soporte):
    """A refused filing shows the custom fields as typed, and creates no account."""
    desk = desk_client(app, admin)
    response = file_ticket(
        desk,
        {"requester_email": "nadie@example.org", "channel": "phone", "cf-ubicacion": "Torre B"},
        path="/tablero/nueva/",
    )
    assert response.status_code == 400
    assert 'value="Torre B"' in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "nadie@example.org")) is None


def _elapsed(ticket: Ticket, moment) -> int | None:
    """Whole microseconds from filing to a moment, worked out here from the stored dates."""
    if moment is None:
        return None
    return (moment - ticket.created_at) // timedelta(microseconds=1)


def test_the_row_keeps_its_attention_times_for_the_reports(app, filed, collaborator):
    """The reports read first_response_us and resolution_us instead of the dates: they follow
    the first public reply, the resolution and a reopening, as the dates do."""
    desk = desk_client(app, collaborator)
    version = lambda: str(db.session.get(Ticket, filed.id).version)  # noqa: E731
    act(desk, filed, "responder", body="Nota interna", internal="1")
    db.session.expire_all()
    assert db.session.get(Ticket, filed.id).first_response_us is None
    act(desk, filed, "responder", body="Vamos mañana")
    db.session.expire_all()
    ticket = db.session.get(Ticket, filed.id)
    assert ticket.first_response_us == _elapsed(ticket, ticket.first_response_at) > 0
    props = {"priority": "normal", "area_id": ""}
    act(desk, filed, "propiedades", status="resolved", version=version(), **props)
    db.session.expire_all()
    ticket = db.session.get(Ticket, filed.id)
    assert ticket.resolution_us == _elapsed(ticket, ticket.resolved_at) > 0
    act(desk, filed, "propiedades", status="in_progress", version=version(), **props)
    db.session.expire_all()
    ticket = db.session.get(Ticket, filed.id)
    assert ticket.resolved_at is None and ticket.resolution_us is None
    assert ticket.first_response_us == _elapsed(ticket, ticket.first_response_at)
