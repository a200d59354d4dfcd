"""A desk that receives mail: people, a type with required fields, ticket #1 and its mail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import (
    Area,
    OutboxMessage,
    OutboxStatus,
    Role,
    Status,
    Ticket,
    TicketTypeVersion,
    User,
)
from tests.conftest import make_user
from tests.factories import make_ticket

EML = Path(__file__).parent / "eml"


@dataclass
class Desk:
    """The people and ticket #1 the fixtures write about."""

    client: User
    other: User
    colab: User
    admin: User
    version: TicketTypeVersion
    ticket: Ticket


@dataclass
class Piped:
    """What `flask mail-in` answered."""

    code: int
    out: dict[str, Any]


def eml(name: str, **replace: str) -> bytes:
    """A fixture's bytes, with some strings replaced (a Message-ID, say)."""
    raw = (EML / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


@pytest.fixture
def pipe(app: Flask):
    """Run `flask mail-in` with a message on standard input, as an MTA pipe does."""
    runner = app.test_cli_runner()

    def run(raw: bytes | str, *args: str) -> Piped:
        data = eml(raw) if isinstance(raw, str) else raw
        result = runner.invoke(args=["mail-in", *args], input=data)
        lines = [line for line in result.output.splitlines() if line.startswith("{")]
        assert lines, (result.output, result.exception)
        db.session.rollback()  # see what the command committed
        return Piped(result.exit_code, json.loads(lines[-1]))

    return run


@pytest.fixture
def desk(app: Flask, client_user: User, other_client: User, soporte: TicketTypeVersion) -> Desk:
    """Clara (client) with ticket #1, Otto (another client), Carla (desk, Seguridad), Ada.

    Ticket #1 has had two messages: the desk's reply to Clara (<out-reply-1@localhost>)
    and the notice of Clara's reply to Carla (<out-client-reply-1@localhost>); two others
    were sent to addresses that will bounce.
    """
    area = Area(name="Seguridad")
    db.session.add(area)
    colab = make_user(Role.COLLABORATOR, "colab@example.org", "Carla Colab", areas=[area])
    admin = make_user(Role.ADMIN, "admin@example.org", "Ada Admin")
    ticket = make_ticket(
        client_user,
        soporte,
        "Fuga de agua",
        status=Status.OPEN,
        area_id=soporte.ticket_type.default_area_id,
    )
    for message_id, recipient, kind in (
        ("<out-reply-1@localhost>", client_user.email, "reply"),
        ("<out-client-reply-1@localhost>", colab.email, "client_reply"),
        ("<out-bounced-1@localhost>", "gone@example.org", "reply"),
        ("<out-bounced-2@localhost>", "gone2@example.org", "reply"),
    ):
        db.session.add(
            OutboxMessage(
                kind=kind,
                recipient=recipient,
                subject="[#1] Nueva respuesta — Fuga de agua",
                body_text="Hola",
                message_id=message_id,
                ticket_id=ticket.id,
                status=OutboxStatus.SENT,
            )
        )
    db.session.commit()
    return Desk(client_user, other_client, colab, admin, soporte, ticket)


def ticket_no(number: int) -> Ticket:
    """A ticket by its number, fresh from the database."""
    found = db.session.scalar(select(Ticket).where(Ticket.number == number))
    assert found is not None
    return found
