"""Fixtures for ticket tests: a demo-like type and helpers to file tickets over HTTP."""

from __future__ import annotations

import io

import pytest

from servicedesk.catalog.builder import FieldSpec, to_schema
from servicedesk.extensions import db
from servicedesk.models import Area, TicketType, TicketTypeVersion
from tests.conftest import csrf_token

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def soporte(app) -> TicketTypeVersion:
    """A Soporte type with text, choice, condition, yes/no, date and file fields."""
    area = Area(name="Mantenimiento")
    fields = [
        FieldSpec("ubicacion", "Ubicación", "text", True),
        FieldSpec("categoria", "Categoría", "select", True,
                  options=[("agua", "Agua"), ("otro", "Otro")]),
        FieldSpec("detalle", "Detalle", "text", True, show_when="categoria", show_value="otro"),
        FieldSpec("urgente", "Urgente", "boolean"),
        FieldSpec("desde", "Desde", "date"),
        FieldSpec("notas", "Notas", "textarea"),
        FieldSpec("fotos", "Fotos", "file", max_items=3, accept=["image/*"], max_size_mb=1),
    ]
    schema, ui = to_schema(fields, "Soporte")
    ticket_type = TicketType(key="soporte", name="Soporte", description="Fallas",
                             default_area=area, current_version=1)
    version = TicketTypeVersion(ticket_type=ticket_type, number=1, schema=schema, ui=ui)
    db.session.add_all([area, ticket_type, version])
    db.session.commit()
    return version


def file_ticket(client, data: dict | None = None, files: list | None = None,
                key: str = "soporte", path: str = "/mesa-de-ayuda/nueva/"):
    """Post the new-ticket form with a fresh CSRF token."""
    token = csrf_token(client.get(path + key).get_data(as_text=True))
    payload = {"csrf_token": token, "subject": "Fuga de agua", "description": "En el baño",
               "cf-ubicacion": "Depto 101", "cf-categoria": "agua", **(data or {})}
    if files:
        payload["attachments"] = files
    return client.post(path + key, data=payload, content_type="multipart/form-data")


def upload(content: bytes, name: str):
    """Build a file tuple for the test client."""
    return (io.BytesIO(content), name)
