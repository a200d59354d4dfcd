"""The timeline names what changed, from → to, who and when: page, PDF and API alike."""

from __future__ import annotations

import io

import pypdf
import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Area, Role, Ticket, User
from tests.api.conftest import issue_token
from tests.conftest import make_user
from tests.tickets.test_desk import act, desk_client


def _work_on(app, ticket: Ticket, admin: User, collaborator: User) -> None:
    """Change status, priority, area, assignee and a custom field through the desk's forms."""
    desk = desk_client(app, admin)
    area = db.session.scalar(select(Area).where(Area.name == "Seguridad"))

    def version() -> str:
        db.session.expire_all()
        return str(db.session.get(Ticket, ticket.id).version)

    act(
        desk,
        ticket,
        "propiedades",
        status="in_progress",
        priority="high",
        area_id=str(area.id),
        version=version(),
    )
    act(desk, ticket, "asignar", assignee_id=str(collaborator.id))
    act(
        desk,
        ticket,
        "campos",
        **{"cf-ubicacion": "Torre B", "cf-categoria": "agua", "version": version()},
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "es",
            [
                "Estado: <del>Nuevo</del> → <ins>En curso</ins>",
                "Prioridad: <del>Normal</del> → <ins>Alta</ins>",
                "Área: <del>Mantenimiento</del> → <ins>Seguridad</ins>",
                "Asignado a: <del>—</del> → <ins>Carla Colab</ins>",
                "Ubicación: <del>Depto 101</del> → <ins>Torre B</ins>",
            ],
        ),
        (
            "en",
            [
                "Status: <del>New</del> → <ins>In progress</ins>",
                "Priority: <del>Normal</del> → <ins>High</ins>",
                "Area: <del>Mantenimiento</del> → <ins>Seguridad</ins>",
                "Assignee: <del>—</del> → <ins>Carla Colab</ins>",
                "Ubicación: <del>Depto 101</del> → <ins>Torre B</ins>",
            ],
        ),
    ],
)
def test_the_desk_page_says_what_changed_from_and_to(
    app,
    filed,
    admin,
    collaborator,
    language,
    expected,
):
    _work_on(app, filed, admin, collaborator)
    reader = make_user(Role.ADMIN, f"lector-{language}@example.org", "Lector", language=language)
    page = desk_client(app, reader).get(f"/tablero/tickets/{filed.number}").get_data(as_text=True)
    timeline = page[page.index('data-testid="timeline"') :]
    for line in expected:
        assert line in timeline
    assert "Ada Admin" in timeline  # who


def test_the_pdf_record_lists_the_changes(app, filed, admin, collaborator):
    _work_on(app, filed, admin, collaborator)
    response = desk_client(app, admin).get(f"/tablero/tickets/{filed.number}/pdf")
    assert response.status_code == 200
    text = " ".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages
    )
    assert "Depto 101 → Torre B" in text
    assert "Normal → Alta" in text


def test_the_api_history_gives_changes_and_hides_internal_entries_from_clients(
    app,
    filed,
    admin,
    collaborator,
    client_user,
):
    _work_on(app, filed, admin, collaborator)
    desk = app.test_client()
    token = issue_token(app, admin.email)
    found = desk.get(
        f"/api/v1/tickets/{filed.number}/history",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    ).json["items"]
    kinds = [e["kind"] for e in found]
    assert kinds[0] == "created" and {"status", "priority", "area", "assigned", "fields"} <= set(
        kinds
    )
    fields = next(e for e in found if e["kind"] == "fields")
    assert fields["changes"] == [
        {"key": "ubicacion", "label": "Ubicación", "from": "Depto 101", "to": "Torre B"}
    ]
    mine = app.test_client().get(
        f"/api/v1/tickets/{filed.number}/history",
        headers={"Authorization": f"Bearer {issue_token(app, client_user.email)}"},
    )
    assert mine.status_code == 200
    assert all(not e["internal"] for e in mine.json["items"])
    assert "assigned" not in [e["kind"] for e in mine.json["items"]]
