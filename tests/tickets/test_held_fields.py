"""A refused form keeps the files chosen in the type's own file fields (issue #16 item 3):
shown ticked in their field, filed into that field by the next submit, on the client's form
and the desk's on-behalf form; a file field never takes a reference typed into it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Attachment, HeldUpload, Ticket
from tests.conftest import login
from tests.tickets.conftest import PDF, PNG, file_ticket, upload
from tests.tickets.test_photos import phone_photo

HEADINGS = {
    "es": ("Archivos actuales (desmarca para quitar):", "aún no se registró"),
    "en": ("Current files (untick to remove):", "was not filed yet"),
}


def field_tokens(html: str, field: str = "fotos") -> list[str]:
    """The held-file tokens a re-shown form carries in one file field."""
    return re.findall(rf'name="cf-{field}" value="([^"]+)" checked', html)


def tickets() -> list[Ticket]:
    """Every ticket, oldest first."""
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_refused_form_keeps_the_file_fields_photo_and_files_it_there(
    client, client_user, soporte, language
):
    client_user.language = language
    db.session.commit()
    login(client, client_user.email)
    photo = upload(phone_photo(640, 480), "medidor.jpg")
    refused = file_ticket(client, {"subject": "", "cf-fotos": [photo]})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    heading, summary = HEADINGS[language]
    assert heading in page and summary in page
    [token] = field_tokens(page)
    # In its field, before the field's own file input, with its thumbnail and name.
    field = page[page.index('id="cf-fotos-field"') :]
    field = field[: field.index('type="file"')]
    assert token in field and "medidor.jpg" in field
    assert f"/adjuntos/retenidos/{token}/miniatura" in field
    assert 'name="held"' not in page  # not among the extra files
    held = db.session.scalars(select(HeldUpload)).one()
    assert held.filename == "medidor.jpg"
    stored_name = held.stored_name

    # The second submit sends the ticked token, not the file.
    filed = file_ticket(client, {"cf-fotos": token})
    assert filed.status_code == 302
    [ticket] = tickets()
    attachment = db.session.scalars(select(Attachment)).one()
    assert attachment.ticket_id == ticket.id and attachment.filename == "medidor.jpg"
    assert attachment.stored_name == stored_name  # taken over, not copied
    assert ticket.data["fotos"] == [str(attachment.id)]
    assert db.session.scalars(select(HeldUpload)).all() == []


def test_held_and_new_files_of_a_field_are_filed_together_and_counted(client, client_user, soporte):
    login(client, client_user.email)
    photos = [upload(phone_photo(40, 30), f"{n}.jpg") for n in "ab"]
    tokens = field_tokens(
        file_ticket(client, {"subject": "", "cf-fotos": photos}).get_data(as_text=True)
    )
    assert len(tokens) == 2
    # Three at most: two held and two new are too many, and the four stay held.
    too_many = file_ticket(
        client,
        {
            "subject": "",
            "cf-fotos": [*tokens, upload(PNG, "c.png"), upload(PNG, "d.png")],
        },
    )
    assert too_many.status_code == 400
    again = field_tokens(too_many.get_data(as_text=True))
    assert again[:2] == tokens and len(again) == 4
    assert tickets() == []
    # Unticking one and adding nothing files the other three, in the order shown.
    filed = file_ticket(client, {"cf-fotos": again[1:]})
    assert filed.status_code == 302
    [ticket] = tickets()
    names = {str(a.id): a.filename for a in db.session.scalars(select(Attachment))}
    assert [names[i] for i in ticket.data["fotos"]] == ["b.jpg", "c.png", "d.png"]
    # The unticked one stays held (until it expires), not attached.
    assert [h.filename for h in db.session.scalars(select(HeldUpload))] == ["a.jpg"]


def test_a_file_the_field_refuses_is_not_kept_for_it(client, client_user, soporte):
    login(client, client_user.email)
    refused = file_ticket(client, {"cf-fotos": [upload(PDF, "plano.pdf")]})
    assert refused.status_code == 400  # Fotos takes pictures only
    assert field_tokens(refused.get_data(as_text=True)) == []
    assert db.session.scalars(select(HeldUpload)).all() == []


def test_a_refused_on_behalf_ticket_keeps_its_field_photo(app, collaborator, client_user, soporte):
    desk = app.test_client()
    login(desk, collaborator.email)
    path = "/tablero/nueva/"
    refused = file_ticket(
        desk,
        {"requester_email": "nadie", "cf-fotos": [upload(phone_photo(60, 40), "fuga.jpg")]},
        path=path,
    )
    assert refused.status_code == 400
    [token] = field_tokens(refused.get_data(as_text=True))
    filed = file_ticket(desk, {"requester_email": client_user.email, "cf-fotos": token}, path=path)
    assert filed.status_code == 302
    [ticket] = tickets()
    attachment = db.session.scalars(select(Attachment)).one()
    assert ticket.requester_id == client_user.id and attachment.filename == "fuga.jpg"
    assert ticket.data["fotos"] == [str(attachment.id)]


def test_a_file_field_takes_no_typed_reference(app, client, client_user, other_client, soporte):
    login(client, client_user.email)
    assert file_ticket(client, {"cf-fotos": [upload(PNG, "mia.png")]}).status_code == 302
    mine = db.session.scalars(select(Attachment)).one()
    stranger = app.test_client()
    login(stranger, other_client.email)
    # Someone else's attachment id, a made-up token: neither is a file of the new ticket.
    assert file_ticket(stranger, {"cf-fotos": [str(mine.id), "inventado"]}).status_code == 302
    assert "fotos" not in tickets()[1].data
    # Nor someone else's held token.
    tokens = field_tokens(
        file_ticket(client, {"subject": "", "cf-fotos": [upload(PNG, "otra.png")]}).get_data(
            as_text=True
        )
    )
    assert file_ticket(stranger, {"cf-fotos": tokens}).status_code == 302
    assert "fotos" not in tickets()[2].data
    assert len(db.session.scalars(select(HeldUpload)).all()) == 1  # still the owner's
