"""Bad input over the API: a problem (RFC 9457) in the user's language, never a 500.

Values that reached a 500 before (issue 14, item 9); each test checks nothing was saved.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from servicedesk.models import Attachment, Comment, Ticket
from tests.api.conftest import NEW
from tests.test_bad_input import BEYOND, DEEP, count


def raw_post(api, path: str, text: str, method: str = "POST"):
    """Send a JSON text as it is (not re-encoded by the test client)."""
    return api.open(
        method,
        path,
        data=text.encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ticket-types/soporte/versions/" + BEYOND,
        "/api/v1/tickets/" + BEYOND,
        "/api/v1/tickets/" + BEYOND + "/comments",
        "/api/v1/tickets/99999999999999999999999",
    ],
)
def test_api_ids_beyond_the_integer_range_are_404(soporte, client_api, path):
    response = client_api.client.get(path, headers={"Authorization": f"Bearer {client_api.secret}"})
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "text",
    [
        DEEP,
        '{"type": "soporte", "subject": "x", "data": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"type": "soporte", "subject": "a\\u0000b", "data": {}}',
        '{"type": "soporte", "subject": "\\ud800", "data": {}}',
        '{"type": "soporte", "subject": "x", "data": {"ubicacion": "a\\u0000"}}',
        '{"type": "soporte", "subject": "x", "data": {"\\udfff": 1}}',
        '{"type": "soporte", "subject": "x", "data": {"ubicacion": 1e400}}',
        '{"type": "soporte", "subject": "x", "data": {"ubicacion": NaN}}',
    ],
)
def test_api_refuses_hostile_json_with_a_400_in_the_users_language(soporte, client_api, text):
    response = raw_post(client_api, "/tickets", text)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.json
    assert body["status"] == 400
    assert "JSON" in body["detail"] and "válid" in body["detail"], body
    assert count(Ticket) == 0


def test_api_refuses_hostile_json_in_comments_edits_and_multipart(soporte, client_api, desk_api):
    number = client_api.post("/tickets", json=NEW).json["number"]
    etag = client_api.get(f"/tickets/{number}").headers["ETag"]
    assert (
        raw_post(desk_api, f"/tickets/{number}/comments", '{"body": "hola\\u0000"}').status_code
        == 400
    )
    assert (
        raw_post(client_api, f"/tickets/{number}/comments", '{"body": "\\ud83d"}').status_code
        == 400
    )
    edit = desk_api.open(
        "PATCH",
        f"/tickets/{number}",
        data=b'{"data": {"ubicacion": "x\\u0000"}}',
        headers={"Content-Type": "application/json", "If-Match": etag},
    )
    assert edit.status_code == 400
    multipart = client_api.post(
        "/tickets", data={"ticket": DEEP}, content_type="multipart/form-data"
    )
    assert multipart.status_code == 400
    assert count(Comment) == 0 and count(Ticket) == 1
    assert client_api.get(f"/tickets/{number}").json["data"]["ubicacion"] == "Depto 101"


def test_api_dates_outside_a_sane_range_are_a_problem(soporte, client_api):
    response = client_api.get("/tickets?created_from=0001-01-01")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_bodies_beyond_the_documented_schema_are_422_with_pointers(soporte, client_api):
    too_long = client_api.post("/tickets", json={**NEW, "subject": "x" * 201, "extra": 1})
    assert too_long.status_code == 422
    errors = {e["pointer"]: e["detail"] for e in too_long.json["errors"]}
    assert errors == {
        "/subject": "Debe tener como máximo 200 caracteres.",
        "/extra": "Este campo no está permitido.",
    }
    number = client_api.post("/tickets", json=NEW).json["number"]
    comment = client_api.post(f"/tickets/{number}/comments", json={"body": "x" * 20001})
    assert comment.status_code == 422
    assert comment.json["errors"][0]["pointer"] == "/body"
    assert count(Ticket) == 1 and count(Comment) == 0


def test_query_parameters_outside_their_schema_are_400(soporte, client_api):
    for query in ("status=bogus", "limit=0", "cursor=9999999999", "sort=sideways"):
        response = client_api.get("/tickets?" + query)
        assert response.status_code == 400, query
        assert response.json["errors"][0]["pointer"].startswith("/query/")


def test_a_riff_file_that_is_not_webp_is_refused(soporte, client_api):
    number = client_api.post("/tickets", json=NEW).json["number"]
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32
    # A real WebP: uploads of pictures are decoded, so a made-up header is refused too.
    picture = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(picture, "WEBP")
    webp = picture.getvalue()
    refused = client_api.post(
        f"/tickets/{number}/attachments",
        data={"file": (io.BytesIO(wav), "foto.webp")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    accepted = client_api.post(
        f"/tickets/{number}/attachments",
        data={"file": (io.BytesIO(webp), "foto.webp")},
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 201
    assert count(Attachment) == 1


def test_downloads_are_served_with_a_type_the_document_declares(soporte, client_api):
    number = client_api.post("/tickets", json=NEW).json["number"]
    pdf = b"%PDF-1.4\n%%EOF\n"
    stored = client_api.post(
        f"/tickets/{number}/attachments",
        data={"file": (io.BytesIO(pdf), "acta.pdf")},
        content_type="multipart/form-data",
    ).json["items"][0]
    response = client_api.get(f"/attachments/{stored['id']}")
    document = client_api.client.get("/api/v1/openapi.json").json
    declared = document["paths"]["/api/v1/attachments/{attachment_id}"]["get"]["responses"]["200"][
        "content"
    ]
    response.close()  # the download holds the stored file open until closed
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.mimetype in declared
