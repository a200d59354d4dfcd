"""Clear feedback where people meet friction every day (#16 item 6), in both languages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Role, Status, Ticket, TicketEvent
from tests.conftest import Mailbox, csrf_token, login, make_user
from tests.factories import make_ticket
from tests.test_notifications import desk_action, file_as_client
from tests.tickets.conftest import file_ticket


def signed_in(app, user):
    """A test client signed in as this user."""
    c = app.test_client()
    login(c, user.email)
    return c


@pytest.mark.parametrize(
    ("language", "took"),
    [("es", "tomó posesión de este ticket primero"), ("en", "took this ticket first")],
)
def test_the_loser_of_a_take_race_sees_a_page_saying_who_won(
    app,
    client_user,
    desk_people,
    language,
    took,
):
    boss, agent = desk_people
    _c, number = file_as_client(app, client_user)
    desk_action(app, agent, number, "tomar", seen_assignee="")
    late = make_user(
        Role.COLLABORATOR, f"tarde-{language}@example.org", "Tardío", language=language
    )
    response = desk_action(app, late, number, "tomar", seen_assignee="")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"Agente {took}" in page and "Redirecting" not in page
    assert '<html lang="' + language in page  # a styled page of the app, in their language
    assert db.session.scalar(select(Ticket.assignee_id).where(Ticket.number == number)) == agent.id


def test_take_is_neither_offered_nor_possible_on_a_closed_ticket(app, client_user, desk_people):
    _boss, agent = desk_people
    _c, number = file_as_client(app, client_user)
    desk_action(app, agent, number, "cerrar", resolution="Listo")
    page = signed_in(app, agent).get(f"/tablero/tickets/{number}").get_data(as_text=True)
    assert "/tomar" not in page
    desk_action(app, agent, number, "tomar", seen_assignee="")
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.assignee_id is None and ticket.status == Status.CLOSED


def test_a_client_reopening_tells_the_owner_or_else_the_area(
    app,
    client_user,
    mailbox,
    desk_people,
):
    boss, agent = desk_people
    client, number = file_as_client(app, client_user)
    desk_action(app, agent, number, "cerrar", resolution="Listo")
    mailbox.messages.clear()
    token = csrf_token(client.get(f"/mesa-de-ayuda/tickets/{number}").get_data(as_text=True))
    client.post(f"/mesa-de-ayuda/tickets/{number}/reabrir", data={"csrf_token": token})
    assert db.session.scalar(select(Ticket.status).where(Ticket.number == number)) == Status.OPEN
    # Nobody owns it: the area (the collaborator, in Spanish) and the admins (in English).
    assert "reabrió este ticket" in Mailbox.text_of(mailbox.to(agent.email)[-1])
    assert str(mailbox.to(boss.email)[-1]["Subject"]).startswith(
        f"[#{number}] The client reopened the ticket"
    )
    # Owned: only the owner hears of it.
    desk_action(app, agent, number, "tomar", seen_assignee="")
    desk_action(app, agent, number, "cerrar", resolution="Ahora sí")
    mailbox.messages.clear()
    token = csrf_token(client.get(f"/mesa-de-ayuda/tickets/{number}").get_data(as_text=True))
    client.post(f"/mesa-de-ayuda/tickets/{number}/reabrir", data={"csrf_token": token})
    assert len(mailbox.to(agent.email)) == 1 and mailbox.to(boss.email) == []


def test_my_tickets_pages_past_fifty(app, client_user, soporte):
    for index in range(53):
        make_ticket(client_user, soporte, subject=f"Pedido {index:02d}")
    web = signed_in(app, client_user)
    first = web.get("/mesa-de-ayuda/").get_data(as_text=True)
    assert first.count("data-ticket-row=") == 50
    link = first[first.index("after=") :].split('"')[0].replace("&amp;", "&")
    second = web.get("/mesa-de-ayuda/?" + link).get_data(as_text=True)
    assert second.count("data-ticket-row=") == 3
    assert "Tickets anteriores" in first and "Tickets anteriores" not in second
    shown = {line.split('"')[0] for line in (first + second).split('data-ticket-row="')[1:]}
    assert len(shown) == 53  # every ticket once


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_tokens_page_shows_the_header_literally(app, language):
    user = make_user(Role.CLIENT, f"t-{language}@example.org", "T", language=language)
    page = signed_in(app, user).get("/cuenta/tokens").get_data(as_text=True)
    assert "Bearer &lt;token&gt;" in page


def test_a_new_ticket_type_defaults_to_normal_priority(app, admin):
    page = signed_in(app, admin).get("/administracion/tipos/nuevo").get_data(as_text=True)
    assert '<option selected value="normal">' in page or '<option value="normal" selected' in page


@pytest.mark.parametrize(
    ("language", "heading"),
    [("es", "La petición aún no se registró"), ("en", "The request was not filed yet")],
)
def test_the_error_summary_opens_the_form_and_links_each_field(app, soporte, language, heading):
    user = make_user(Role.CLIENT, f"c-{language}@example.org", "C", language=language)
    web = signed_in(app, user)
    response = file_ticket(web, {"subject": "", "cf-ubicacion": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    form = page[page.index('<form method="post" enctype') :]
    # The summary is the first thing inside the form, before any input.
    assert form.index("fe-summary") < form.index("<input")
    summary = form[form.index("fe-summary") : form.index("</div>", form.index("fe-summary"))]
    assert heading in summary
    assert 'href="#subject"' in summary and 'href="#cf-ubicacion"' in summary
    assert page.count("fe-summary") == 1  # once, not again above the custom fields
    assert db.session.scalars(select(TicketEvent)).all() == []


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("es", ["Estado", "Resuelto", "Prioridad", "Urgente", "Sin área"]),
        ("en", ["Status", "Resolved", "Priority", "Urgent", "No area"]),
    ],
)
def test_the_edit_conflict_page_shows_labels_not_values(
    app, client_user, desk_people, language, lines
):
    _boss, agent = desk_people
    _c, number = file_as_client(app, client_user)
    stale = str(db.session.scalar(select(Ticket.version).where(Ticket.number == number)))
    desk_action(
        app, agent, number, "propiedades", status="in_progress", priority="normal", area_id=""
    )
    late = make_user(Role.COLLABORATOR, f"l-{language}@example.org", "L", language=language)
    c = signed_in(app, late)
    token = csrf_token(c.get(f"/tablero/tickets/{number}").get_data(as_text=True))
    response = c.post(
        f"/tablero/tickets/{number}/propiedades",
        data={
            "csrf_token": token,
            "version": stale,
            "status": "resolved",
            "priority": "urgent",
            "area_id": "",
        },
    )
    assert response.status_code == 409
    typed = response.get_data(as_text=True).split('data-testid="typed"')[1]
    for line in lines:
        assert line in typed
    assert "resolved" not in typed and "urgent" not in typed and "area_id" not in typed
