"""Two of the desk answer a ticket at the same instant: the first response is met once.

Real HTTP against the threaded test server, both replies released by one barrier; runs on
SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import threading

import requests
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Role, Ticket, TicketEvent
from tests.api.conftest import NEW, issue_token
from tests.conftest import make_user
from tests.sla.test_clock import add_policy


def test_two_first_replies_at_once_meet_the_first_response_once(
    app, live_server, soporte, client_user
):
    add_policy("Normal", 60, 240, default=True)
    area = soporte.ticket_type.default_area
    desk = [make_user(Role.COLLABORATOR, f"c{i}@example.org", areas=[area]) for i in range(2)]
    client_token = issue_token(app, client_user.email)
    filed = requests.post(
        f"{live_server}/api/v1/tickets",
        json=NEW,
        headers={"Authorization": f"Bearer {client_token}"},
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    tokens = [issue_token(app, user.email) for user in desk]
    barrier = threading.Barrier(len(tokens))
    codes: list[int] = []

    def answer(token: str) -> None:
        barrier.wait(timeout=30)
        sent = requests.post(
            f"{live_server}/api/v1/tickets/{number}/comments",
            json={"body": "Vamos en camino"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        codes.append(sent.status_code)

    threads = [threading.Thread(target=answer, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert codes == [201, 201]
    db.session.rollback()
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    assert ticket.first_response_at is not None and ticket.sla_response_secs is not None
    assert ticket.sla_response_breached is False
    responded = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind == "sla",
            TicketEvent.data["change"].as_string() == "responded",
        )
    ).all()
    assert len(responded) == 1
