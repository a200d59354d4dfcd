"""Every API route × every kind of visitor, with the exact outcome (the web's rules).

The ticket is closed and rated, as the richest state: its requester may reopen it and change
the rating, another client learns nothing (404), the desk works it, only administrators assign.
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Attachment, Ticket
from tests.api.conftest import NEW, Api, issue_token
from tests.tickets.conftest import PNG

VISITORS = ["anonymous", "owner", "other_client", "collaborator", "admin"]
# (method, path, body, status per visitor: anonymous, owner, other client, collaborator, admin)
MATRIX = [
    ("GET", "/tickets/{n}", None, (401, 200, 404, 200, 200)),
    ("PATCH", "/tickets/{n}", {"priority": "high"}, (401, 403, 404, 200, 200)),
    ("POST", "/tickets/{n}/status", {"status": "open"}, (401, 403, 404, 200, 200)),
    ("POST", "/tickets/{n}/reopen", None, (401, 200, 404, 200, 200)),
    # A closed ticket is not taken (reopen first), as on the Tablero.
    ("POST", "/tickets/{n}/take", None, (401, 403, 404, 409, 409)),
    ("POST", "/tickets/{n}/assign", {"assignee_id": None}, (401, 403, 404, 403, 200)),
    ("GET", "/tickets/{n}/comments", None, (401, 200, 404, 200, 200)),
    ("GET", "/tickets/{n}/history", None, (401, 200, 404, 200, 200)),
    # A closed ticket takes no client reply (reopen first), as on the portal.
    ("POST", "/tickets/{n}/comments", {"body": "hola"}, (401, 409, 404, 201, 201)),
    ("GET", "/tickets/{n}/attachments", None, (401, 200, 404, 200, 200)),
    ("POST", "/tickets/{n}/attachments", "file", (401, 409, 404, 201, 201)),
    ("GET", "/tickets/{n}/feedback", None, (401, 200, 404, 200, 200)),
    ("PUT", "/tickets/{n}/feedback", {"rating": 5}, (401, 200, 404, 403, 403)),
    ("GET", "/attachments/{a}", None, (401, 200, 404, 200, 200)),
    ("GET", "/tickets", None, (401, 200, 200, 200, 200)),
    ("POST", "/tickets", "new", (401, 201, 201, 422, 422)),
    ("GET", "/me", None, (401, 200, 200, 200, 200)),
    ("GET", "/ticket-types", None, (401, 200, 200, 200, 200)),
    ("GET", "/ticket-types/soporte", None, (401, 200, 200, 200, 200)),
    ("GET", "/ticket-types/soporte/versions/1", None, (401, 200, 200, 200, 200)),
    ("GET", "/sla/policies", None, (401, 403, 403, 403, 200)),
    ("GET", "/sla/calendars", None, (401, 403, 403, 403, 200)),
]


@pytest.fixture
def world(app, soporte, client_user, other_client, collaborator, admin):
    """A closed, rated ticket with a photo, filed through the API; a token per visitor."""
    users = {
        "owner": client_user,
        "other_client": other_client,
        "collaborator": collaborator,
        "admin": admin,
    }
    tokens = {name: issue_token(app, user.email) for name, user in users.items()}
    owner, desk = Api(app, tokens["owner"]), Api(app, tokens["admin"])
    filed = owner.post(
        "/tickets",
        data={"ticket": json.dumps(NEW), "attachments": (io.BytesIO(PNG), "foto.png")},
        content_type="multipart/form-data",
    )
    number = filed.json["number"]
    assert desk.post(f"/tickets/{number}/status", json={"status": "closed"}).status_code == 200
    assert owner.put(f"/tickets/{number}/feedback", json={"rating": 4}).status_code == 200
    attachment = db.session.scalars(select(Attachment)).one()
    return {"n": number, "a": attachment.id, "tokens": tokens}


def visit(app, world, visitor, method, path, body):
    """Make one request as one visitor with a fitting body and the ticket's current ETag."""
    api = Api(app, world["tokens"].get(visitor))
    url = path.format(**world)
    kwargs = {}
    if body == "file":
        kwargs = {
            "data": {"file": (io.BytesIO(PNG), "otra.png")},
            "content_type": "multipart/form-data",
        }
    elif body == "new":
        kwargs = {"json": NEW}
    elif body is not None:
        kwargs = {"json": body}
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == world["n"]))
    headers = {} if method == "GET" else {"If-Match": f'"{ticket.number}-{ticket.version}"'}
    response = api.open(method, url, headers=headers, **kwargs)
    response.get_data()  # read the body (a download streams a file) before closing
    response.close()
    return response


@pytest.mark.parametrize(
    ("method", "path", "body", "outcomes"), MATRIX, ids=[f"{m} {p}" for m, p, _b, _o in MATRIX]
)
@pytest.mark.parametrize("visitor", VISITORS)
def test_api_route_matrix(app, world, method, path, body, outcomes, visitor):
    expected = outcomes[VISITORS.index(visitor)]
    response = visit(app, world, visitor, method, path, body)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    if expected >= 400:
        assert response.content_type == "application/problem+json"
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_api_route_is_in_the_matrix(app):
    covered = {
        (
            m,
            "/api/v1"
            + p.replace("{n}", "<int:number>")
            .replace("{a}", "<int:attachment_id>")
            .replace("soporte", "<key>")
            .replace("versions/1", "versions/<int:number>"),
        )
        for m, p, _b, _o in MATRIX
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in (
            "api.openapi",
            "api.reference",
        ):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.rule) in covered, f"{method} {rule.rule} is not in the matrix"
