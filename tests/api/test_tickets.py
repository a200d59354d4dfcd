"""Tickets through the API: file, read, list, change, converse, rate — under the web's rules."""

from __future__ import annotations

import io

from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Attachment, Comment, Status, Ticket, TicketEvent
from tests.api.conftest import NEW
from tests.tickets.conftest import PNG, count_decodes


def file(api, **changes):
    """File a ticket as JSON and return the response."""
    return api.post("/tickets", json={**NEW, **changes})


def test_client_files_a_ticket(client_api, soporte, client_user):
    response = file(client_api)
    assert response.status_code == 201, response.json
    body = response.json
    ticket = db.session.scalars(select(Ticket)).one()
    assert (
        body["number"] == ticket.number
        and response.headers["Location"] == f"/api/v1/tickets/{ticket.number}"
    )
    assert response.headers["ETag"] == f'"{ticket.number}-{ticket.version}"'
    assert ticket.requester_id == client_user.id and ticket.channel == "api"
    # Canonical like a web submission: the unchecked yes/no box is stored as false.
    assert ticket.data == {"ubicacion": "Depto 101", "categoria": "agua", "urgente": False}
    assert body["fields"][0] == {
        "pointer": "/ubicacion",
        "label": "Ubicación",
        "display": "Depto 101",
    }
    assert body["assignee"] is None and body["transitions"] == []


def test_invalid_ticket_is_422_with_a_pointer_per_problem(client_api, soporte):
    response = file(client_api, subject="", data={"categoria": "otro", "desde": "ayer"})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    pointers = {e["pointer"]: e["detail"] for e in response.json["errors"]}
    assert set(pointers) >= {"/subject", "/data/ubicacion", "/data/detalle", "/data/desde"}
    assert pointers["/subject"] == "Escribe un asunto."  # the client's language: Spanish
    assert db.session.scalars(select(Ticket)).first() is None


def test_errors_follow_the_users_language(app, api_for, soporte, client_user):
    client_user.language = "en"
    db.session.commit()
    response = file(api_for(client_user), subject="")
    assert {e["pointer"]: e["detail"] for e in response.json["errors"]}[
        "/subject"
    ] == "Write a subject."


def test_bad_bodies_are_problems_not_500s(client_api, soporte):
    assert client_api.post("/tickets", data="{", content_type="application/json").status_code == 400
    assert client_api.post("/tickets", json=[1, 2]).status_code == 400
    assert client_api.post("/tickets", data="x", content_type="text/plain").status_code == 415
    assert file(client_api, type="nope").status_code == 422
    assert file(client_api, data=[1]).status_code == 422
    assert file(client_api, subject=5).status_code == 422
    assert client_api.get("/tickets/99999999999999999999").status_code == 404
    assert client_api.get("/attachments/99999999999999").status_code == 404


def test_multipart_filing_with_a_photo_field_and_an_attachment(client_api, soporte):
    import json

    response = client_api.post(
        "/tickets",
        data={
            "ticket": json.dumps(NEW),
            "cf-fotos": (io.BytesIO(PNG), "foto.png"),
            "attachments": (io.BytesIO(PNG), "otra.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    ticket = db.session.scalars(select(Ticket)).one()
    files = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [f.filename for f in files] == ["foto.png", "otra.png"]
    assert ticket.data["fotos"] == [str(files[0].id)]
    listed = client_api.get(f"/tickets/{ticket.number}/attachments").json["items"]
    download = client_api.get(listed[0]["download"].removeprefix("/api/v1"))
    content = download.get_data()
    download.close()
    assert content == PNG and download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]


def test_each_file_of_a_multipart_filing_is_decoded_once(client_api, soporte, monkeypatch):
    """The upload check and the store share one decode per picture."""
    import json

    opened = count_decodes(monkeypatch)
    response = client_api.post(
        "/tickets",
        data={
            "ticket": json.dumps(NEW),
            "cf-fotos": (io.BytesIO(PNG), "foto.png"),
            "attachments": (io.BytesIO(PNG), "otra.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    assert len(opened) == 2 and len(db.session.scalars(select(Attachment)).all()) == 2


def test_the_filing_answer_is_what_reading_the_ticket_answers(
    client_api, desk_api, soporte, client_user
):
    """The 201 is built before the commit: it must say what the committed row says."""
    import json

    for api in (client_api, desk_api):
        payload = {**NEW, "requester_id": client_user.id} if api is desk_api else NEW
        filed = api.post(
            "/tickets",
            data={
                "ticket": json.dumps(payload),
                "cf-fotos": (io.BytesIO(PNG), "foto.png"),
                "attachments": (io.BytesIO(PNG), "otra.png"),
            },
            content_type="multipart/form-data",
        )
        assert filed.status_code == 201, filed.json
        read = api.get(filed.headers["Location"].removeprefix("/api/v1"))
        assert filed.json == read.json and filed.json["version"] == 2  # the file ids: 2 flushes
        assert filed.headers["ETag"] == read.headers["ETag"]
        assert any(f["display"] == "foto.png" for f in filed.json["fields"])


def test_a_renamed_script_is_refused(client_api, soporte):
    import json

    response = client_api.post(
        "/tickets",
        data={
            "ticket": json.dumps(NEW),
            "attachments": (io.BytesIO(b"#!/bin/sh\nrm -rf /"), "x.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == "/attachments"
    assert db.session.scalars(select(Ticket)).first() is None


def test_desk_files_on_behalf_of_a_client(desk_api, soporte, client_user, collaborator):
    assert file(desk_api).status_code == 422  # the desk must say for whom
    response = file(desk_api, requester_id=client_user.id, channel="phone")
    assert response.status_code == 201
    ticket = db.session.scalars(select(Ticket)).one()
    assert (ticket.requester_id, ticket.created_by_id, ticket.channel) == (
        client_user.id,
        collaborator.id,
        "phone",
    )
    assert file(desk_api, requester_id=collaborator.id).status_code == 422
    assert file(desk_api, requester_id=True).status_code == 422  # not user 1


def test_the_desk_cannot_file_for_a_deactivated_client(desk_api, soporte, client_user):
    """The same rule as the desk's web form (requester_problem)."""
    client_user.active = False
    db.session.commit()
    response = file(desk_api, requester_id=client_user.id)
    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == "/requester_id"
    assert db.session.scalars(select(Ticket)).all() == []


def test_clients_cannot_file_for_someone_else(client_api, soporte, other_client):
    assert file(client_api, requester_id=other_client.id).status_code == 403
    assert file(client_api, channel="phone").status_code == 403


def test_list_filters_and_cursor(client_api, other_api, desk_api, soporte):
    for index in range(5):
        assert file(client_api, subject=f"Portón {index}").status_code == 201
    assert file(other_api, subject="Ajeno").status_code == 201
    mine = client_api.get("/tickets?limit=2")
    assert mine.status_code == 200
    seen, cursor = [t["subject"] for t in mine.json["items"]], mine.json["next_cursor"]
    while cursor:
        page = client_api.get(f"/tickets?limit=2&cursor={cursor}").json
        seen += [t["subject"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == [f"Portón {i}" for i in range(5)]  # never the other client's
    assert client_api.get("/tickets?q=ajeno").json["items"] == []
    everyone = desk_api.get("/tickets?limit=100").json["items"]
    assert len(everyone) == 6
    found = desk_api.get("/tickets?q=porton 3").json["items"]
    assert [t["subject"] for t in found] == ["Portón 3"]
    assert desk_api.get("/tickets?status=closed").json["items"] == []
    assert desk_api.get("/tickets?limit=500").status_code == 400
    assert desk_api.get("/tickets?created_from=ayer").status_code == 400
    assert desk_api.get("/tickets?cursor=abc").status_code == 400


def test_patch_needs_the_current_etag(desk_api, client_api, soporte):
    number = file(client_api).json["number"]
    read = desk_api.get(f"/tickets/{number}")
    change = {"priority": "high", "data": {"ubicacion": "Depto 202", "categoria": "agua"}}
    assert desk_api.patch(f"/tickets/{number}", json=change).status_code == 428
    assert (
        desk_api.patch(
            f"/tickets/{number}", json=change, headers={"If-Match": '"1-999"'}
        ).status_code
        == 412
    )
    done = desk_api.patch(
        f"/tickets/{number}", json=change, headers={"If-Match": read.headers["ETag"]}
    )
    assert done.status_code == 200, done.json
    assert done.headers["ETag"] != read.headers["ETag"]
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.priority == "high" and ticket.data["ubicacion"] == "Depto 202"
    # The old ETag is now stale: a second writer who read before loses, nothing changes.
    again = desk_api.patch(
        f"/tickets/{number}", json={"priority": "low"}, headers={"If-Match": read.headers["ETag"]}
    )
    assert again.status_code == 412
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).priority == "high"
    bad = desk_api.patch(
        f"/tickets/{number}",
        json={"data": {"categoria": "fuego"}},
        headers={"If-Match": done.headers["ETag"]},
    )
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json["errors"]} >= {"/data/categoria", "/data/ubicacion"}
    assert (
        client_api.patch(
            f"/tickets/{number}", json=change, headers={"If-Match": done.headers["ETag"]}
        ).status_code
        == 403
    )


def test_workflow_take_status_close_feedback(
    desk_api, client_api, admin_api, soporte, api_for, collaborator
):
    number = file(client_api).json["number"]
    taken = desk_api.post(f"/tickets/{number}/take")
    assert taken.status_code == 200 and taken.json["assignee"]["id"] == collaborator.id
    assert client_api.get(f"/tickets/{number}").json["assignee"] is None  # as the portal
    from servicedesk.models import Role
    from tests.conftest import make_user

    rival = api_for(make_user(Role.COLLABORATOR, "rival@example.org"))
    lost = rival.post(f"/tickets/{number}/take")
    assert lost.status_code == 409 and collaborator.name in lost.json["detail"]
    assert client_api.post(f"/tickets/{number}/take").status_code == 403
    assert desk_api.post(f"/tickets/{number}/status", json={"status": "bogus"}).status_code == 422
    closed = desk_api.post(
        f"/tickets/{number}/status", json={"status": "closed", "resolution": "Cambiamos la llave."}
    )
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert desk_api.post(f"/tickets/{number}/status", json={"status": "waiting"}).status_code == 409
    assert desk_api.put(f"/tickets/{number}/feedback", json={"rating": 5}).status_code == 403
    assert client_api.put(f"/tickets/{number}/feedback", json={"rating": 9}).status_code == 422
    rated = client_api.put(f"/tickets/{number}/feedback", json={"rating": 4, "comment": "Rápido"})
    assert rated.status_code == 200 and rated.json["rating"] == 4
    assert desk_api.get(f"/tickets/{number}/feedback").json["comment"] == "Rápido"
    assert client_api.post(f"/tickets/{number}/reopen").status_code == 200
    assert db.session.scalars(select(Ticket)).one().status == Status.OPEN
    kinds = [e.kind for e in db.session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
    assert kinds[:2] == ["created", "took_ownership"] and "feedback" in kinds


def test_assign_is_for_administrators(
    desk_api, admin_api, client_api, soporte, collaborator, client_user
):
    number = file(client_api).json["number"]
    assert (
        desk_api.post(
            f"/tickets/{number}/assign", json={"assignee_id": collaborator.id}
        ).status_code
        == 403
    )
    assert (
        admin_api.post(
            f"/tickets/{number}/assign", json={"assignee_id": client_user.id}
        ).status_code
        == 422
    )
    done = admin_api.post(f"/tickets/{number}/assign", json={"assignee_id": collaborator.id})
    assert done.status_code == 200 and done.json["assignee"]["name"] == collaborator.name
    assert (
        admin_api.post(f"/tickets/{number}/assign", json={"assignee_id": None}).json["assignee"]
        is None
    )


def test_conversation_hides_internal_notes_from_clients(desk_api, client_api, soporte):
    number = file(client_api).json["number"]
    assert (
        desk_api.post(
            f"/tickets/{number}/comments", json={"body": "Nota interna", "internal": True}
        ).status_code
        == 201
    )
    assert (
        desk_api.post(f"/tickets/{number}/comments", json={"body": "Vamos mañana"}).status_code
        == 201
    )
    assert (
        client_api.post(
            f"/tickets/{number}/comments", json={"body": "x", "internal": True}
        ).status_code
        == 403
    )
    assert client_api.post(f"/tickets/{number}/comments", json={"body": " "}).status_code == 422
    assert (
        client_api.post(f"/tickets/{number}/comments", json={"body": "Gracias"}).status_code == 201
    )
    assert [c["body"] for c in client_api.get(f"/tickets/{number}/comments").json["items"]] == [
        "Vamos mañana",
        "Gracias",
    ]
    assert len(desk_api.get(f"/tickets/{number}/comments").json["items"]) == 3
    note = desk_api.post(
        f"/tickets/{number}/attachments",
        data={"file": (io.BytesIO(PNG), "interna.png"), "internal": "1"},
        content_type="multipart/form-data",
    )
    assert note.status_code == 201
    assert client_api.get(f"/tickets/{number}/attachments").json["items"] == []
    assert client_api.get(f"/attachments/{note.json['items'][0]['id']}").status_code == 404
    assert (
        db.session.scalar(select(Comment).where(Comment.internal.is_(True))).body == "Nota interna"
    )


def test_types_and_versions(client_api, desk_api, soporte):
    listed = client_api.get("/ticket-types").json["items"]
    assert [t["key"] for t in listed] == ["soporte"]
    current = listed[0]["current_version"]
    assert current["number"] == 1 and current["schema"]["properties"]["categoria"]
    assert client_api.get("/ticket-types/soporte/versions/1").json == current
    assert client_api.get("/ticket-types/soporte/versions/2").status_code == 404
    assert client_api.get("/ticket-types/nope").status_code == 404
    me = client_api.get("/me").json
    assert me["role"] == "client" and me["areas"] == []
