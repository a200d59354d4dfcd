"""Fixtures for ticket tests: a demo-like type and helpers to file tickets over HTTP."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from servicedesk import images
from servicedesk.extensions import db
from servicedesk.models import Ticket
from tests.conftest import csrf_token, login

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
    b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def file_ticket(
    client,
    data: dict | None = None,
    files: list | None = None,
    key: str = "soporte",
    path: str = "/mesa-de-ayuda/nueva/",
):
    """Post the new-ticket form with a fresh CSRF token."""
    token = csrf_token(client.get(path + key).get_data(as_text=True))
    payload = {
        "csrf_token": token,
        "subject": "Fuga de agua",
        "description": "En el baño",
        "cf-ubicacion": "Depto 101",
        "cf-categoria": "agua",
        **(data or {}),
    }
    if files:
        payload["attachments"] = files
    return client.post(path + key, data=payload, content_type="multipart/form-data")


def count_decodes(monkeypatch) -> list[int]:
    """Record each decode of a picture's pixels (images._decode) from now on."""
    opened: list[int] = []
    real = images._decode

    def counted(*args, **kwargs):
        opened.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(images, "_decode", counted)
    return opened


def upload(content: bytes, name: str):
    """Build a file tuple for the test client."""
    return (io.BytesIO(content), name)


@pytest.fixture
def filed(client, app, client_user, soporte) -> Ticket:
    """A ticket filed by the client through the portal, with a photo."""
    login(client, client_user.email)
    file_ticket(client, files=[upload(PNG, "foto.png")])
    return db.session.scalars(select(Ticket)).one()
