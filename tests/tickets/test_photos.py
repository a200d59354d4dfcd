"""Photos (issue #16): stored upright without EXIF, thumbnails, refused files, files kept
from a refused form for the next try."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from PIL.ExifTags import GPS
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from servicedesk import storage
from servicedesk.extensions import db
from servicedesk.models import Attachment, Comment, HeldUpload, Ticket, utcnow
from tests.conftest import csrf_token, login
from tests.tickets.conftest import PDF, count_decodes, file_ticket, upload

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def phone_photo(width: int = 1200, height: int = 900, quality: int = 92) -> bytes:
    """A landscape-encoded JPEG a phone held upright would send: orientation 6 and GPS.

    Its left half is red: turned upright (a quarter turn clockwise), red is on top.
    """
    image = Image.new("RGB", (width, height), "blue")
    image.paste("red", (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "Fono"  # the camera's make
    exif.get_ifd(GPS_IFD).update(
        {
            GPS.GPSLatitudeRef: "S",
            GPS.GPSLatitude: (33.0, 26.0, 59.0),
            GPS.GPSLongitudeRef: "W",
            GPS.GPSLongitude: (70.0, 39.0, 0.0),
        }
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=quality)
    return out.getvalue()


def only(model):
    """The one row of a model."""
    return db.session.scalars(select(model)).one()


def held_tokens(html: str) -> list[str]:
    """The held-file tokens a re-shown form carries."""
    return re.findall(r'name="held" value="([^"]+)"', html)


def ticket_page(client, number: int) -> str:
    """The client's ticket page."""
    return client.get(f"/mesa-de-ayuda/tickets/{number}").get_data(as_text=True)


def reply(client, number: int, body: str, files=None, held=None, desk: bool = False):
    """Post a reply from the ticket page's form."""
    base = "/tablero" if desk else "/mesa-de-ayuda"
    token = csrf_token(client.get(f"{base}/tickets/{number}").get_data(as_text=True))
    data: dict = {"csrf_token": token, "body": body}
    if files:
        data["attachments"] = files
    if held:
        data["held"] = held
    return client.post(
        f"{base}/tickets/{number}/responder", data=data, content_type="multipart/form-data"
    )


# ------------------------------------------------------------------ stored copy, thumbnails


def test_a_phone_photo_is_stored_upright_without_exif_and_shown_as_a_thumbnail(
    client, client_user, soporte
):
    login(client, client_user.email)
    sent = phone_photo()
    assert file_ticket(client, files=[upload(sent, "baño.jpg")]).status_code == 302
    attachment = only(Attachment)
    stored = storage.path_of(attachment.stored_name).read_bytes()
    # The stored copy: upright, no EXIF at all (no GPS, no camera), the columns true to it.
    picture = Image.open(io.BytesIO(stored))
    assert picture.size == (900, 1200) and (attachment.width, attachment.height) == (900, 1200)
    assert picture.getpixel((450, 100))[0] > 200 and picture.getpixel((450, 1100))[2] > 200
    assert not dict(picture.getexif()) and not picture.getexif().get_ifd(GPS_IFD)
    assert attachment.size == len(stored) != len(sent)
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    downloaded = client.get(f"/adjuntos/{attachment.id}")
    assert downloaded.data == stored
    downloaded.close()

    page = ticket_page(client, only(Ticket).number)
    img = re.search(r'<img src="/adjuntos/\d+/miniatura"[^>]*>', page).group(0)
    assert 'loading="lazy"' in img and 'alt="baño.jpg"' in img
    assert 'width="240"' in img and 'height="320"' in img

    thumb = client.get(f"/adjuntos/{attachment.id}/miniatura")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    small = Image.open(io.BytesIO(thumb.data))
    thumb.close()
    assert small.size == (240, 320) and not small.getexif().get_ifd(GPS_IFD)
    # Made once, then served from the store's copy beside the original.
    assert storage.thumbnail_path(attachment.stored_name).is_file()


# A made-up colour profile: only its bytes are compared.
PROFILE = b"\x00\x00\x02\x0cprofile-bytes" + bytes(range(256)) * 2
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description'
    b' exif:GPSLatitude="33,26.98S"/></rdf:RDF></x:xmpmeta>'
)
# What a motion photo or a vendor appends after the picture's end marker.
TRAILER = b"MotionPhoto_Data" + b"\x00\x00\x00\x18ftypmp42" + b"video" * 200


def upright_photo(progressive: bool = False) -> bytes:
    """A JPEG taken upright (orientation 1) and full of metadata: GPS and camera in EXIF,
    XMP, a comment, a colour profile, restart markers in its scans, a trailer after it."""
    image = Image.effect_noise((640, 480), 60).convert("RGB")
    exif = Image.Exif()
    exif[ORIENTATION] = 1
    exif[0x010F] = "Fono"
    exif.get_ifd(GPS_IFD).update({GPS.GPSLatitudeRef: "S", GPS.GPSLatitude: (33.0, 26.0, 59.0)})
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        quality=85,
        exif=exif,
        xmp=XMP,
        comment="Depto 1204, Torre B",
        icc_profile=PROFILE,
        progressive=progressive,
        restart_marker_blocks=4,
    )
    return out.getvalue() + TRAILER


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's segments before its first scan."""
    markers, pos = [], 2
    while data[pos + 1] != 0xDA:
        markers.append(data[pos + 1])
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return markers


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_an_upright_photo_keeps_its_pixels_and_loses_all_its_metadata(
    client, client_user, soporte, progressive
):
    login(client, client_user.email)
    sent = upright_photo(progressive)
    assert b"Fono" in sent and b"GPSLatitude" in sent and b"Torre B" in sent
    assert file_ticket(client, files=[upload(sent, "pasillo.jpg")]).status_code == 302
    attachment = only(Attachment)
    stored = storage.path_of(attachment.stored_name).read_bytes()
    picture = Image.open(io.BytesIO(stored))
    # Not re-encoded: the very same pixels (a re-encode at any quality changes some).
    assert picture.tobytes() == Image.open(io.BytesIO(sent)).tobytes()
    assert (attachment.width, attachment.height) == picture.size == (640, 480)
    # Nothing of the metadata is left, anywhere in the file; the colour profile is.
    for secret in (b"Fono", b"GPSLatitude", b"Torre B", b"Exif", b"xmpmeta", b"MotionPhoto"):
        assert secret not in stored
    assert not dict(picture.getexif()) and picture.info["icc_profile"] == PROFILE
    assert set(jpeg_markers(stored)) & {0xE1, 0xED, 0xFE} == set()
    assert stored.endswith(b"\xff\xd9")
    assert attachment.size == len(stored) < len(sent)
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()


def png_chunks(data: bytes) -> list[bytes]:
    """The types of a PNG's chunks, in order."""
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return chunks


def test_an_upright_png_keeps_its_pixels_and_transparency_and_loses_its_metadata(
    client, client_user, soporte
):
    login(client, client_user.email)
    image = Image.new("RGBA", (300, 200), (0, 128, 0, 90))
    image.paste((200, 10, 10, 255), (0, 0, 150, 200))
    info = PngInfo()
    info.add_text("Author", "Residente Torre B")
    info.add_itxt("Location", "Depto 1204", zip=True)
    exif = Image.Exif()
    exif[ORIENTATION] = 1
    exif.get_ifd(GPS_IFD).update({GPS.GPSLatitudeRef: "S", GPS.GPSLatitude: (33.0, 26.0, 59.0)})
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif, icc_profile=PROFILE, dpi=(144, 144))
    sent = out.getvalue() + b"after the end"
    assert {b"tEXt", b"iTXt", b"eXIf"} <= set(png_chunks(sent[: -len(b"after the end")]))

    assert file_ticket(client, files=[upload(sent, "plano.png")]).status_code == 302
    stored = storage.path_of(only(Attachment).stored_name).read_bytes()
    assert png_chunks(stored) == [b"IHDR", b"iCCP", b"pHYs", b"IDAT", b"IEND"]
    picture = Image.open(io.BytesIO(stored))
    assert picture.tobytes() == image.tobytes() and picture.mode == "RGBA"
    assert b"Residente" not in stored and b"after the end" not in stored


def test_an_upright_photo_cut_short_is_refused_like_a_turned_one(client, client_user, soporte):
    """The upright path checks the picture with a reduced decode: every byte is still read."""
    login(client, client_user.email)
    sent = upright_photo()
    response = file_ticket(client, files=[upload(sent[: len(sent) // 2], "cortada.jpg")])
    assert response.status_code == 400
    assert "cortada.jpg: esta imagen no se puede abrir" in response.get_data(as_text=True)
    assert db.session.scalars(select(Ticket)).all() == []
    assert db.session.scalars(select(Attachment)).all() == []


def test_a_pdf_is_stored_as_sent(client, client_user, soporte):
    login(client, client_user.email)
    file_ticket(client, files=[upload(PDF, "acta.pdf")])
    attachment = only(Attachment)
    assert storage.path_of(attachment.stored_name).read_bytes() == PDF
    assert attachment.width is None
    assert client.get(f"/adjuntos/{attachment.id}/miniatura").status_code == 404


def test_a_transparent_png_keeps_its_transparency_in_the_thumbnail(client, client_user, soporte):
    login(client, client_user.email)
    picture = io.BytesIO()
    Image.new("RGBA", (800, 400), (0, 128, 0, 0)).save(picture, "PNG")
    file_ticket(client, files=[upload(picture.getvalue(), "plano.png")])
    thumb = client.get(f"/adjuntos/{only(Attachment).id}/miniatura")
    assert thumb.mimetype == "image/png"
    assert Image.open(io.BytesIO(thumb.data)).size == (320, 160)
    thumb.close()


def test_a_corrupt_photo_gets_a_translated_message_not_an_error(client, client_user, soporte):
    login(client, client_user.email)
    broken = phone_photo()[:3000]  # a JPEG cut short in the middle of its pixels
    response = file_ticket(client, files=[upload(broken, "rota.jpg")])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "rota.jpg: esta imagen no se puede abrir" in page
    assert db.session.scalars(select(Ticket)).all() == []


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, client_user, soporte):
    login(client, client_user.email)
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # 144 megapixels in a few KB
    assert len(bomb.getvalue()) < 100_000
    response = file_ticket(client, files=[upload(bomb.getvalue(), "bomba.png")])
    assert response.status_code == 400
    assert "bomba.png: esta imagen no se puede abrir" in response.get_data(as_text=True)
    assert db.session.scalars(select(Attachment)).all() == []


def test_a_photo_is_decoded_once_from_the_form_check_to_the_store(
    client, client_user, soporte, monkeypatch
):
    """The form's check, the store's guard and the stored copy share one decode."""
    login(client, client_user.email)
    photos = [upload(phone_photo(), "uno.jpg"), upload(phone_photo(640, 480), "dos.jpg")]
    opened = count_decodes(monkeypatch)
    assert file_ticket(client, files=photos).status_code == 302
    assert len(opened) == 2 and len(db.session.scalars(select(Attachment)).all()) == 2
    number = only(Ticket).number
    assert (
        reply(client, number, "Otra", files=[upload(phone_photo(), "tres.jpg")]).status_code == 302
    )
    assert len(opened) == 3
    # A refused form keeps its photo for the next try: decoded once for both.
    assert (
        file_ticket(
            client, {"subject": ""}, files=[upload(phone_photo(), "cuatro.jpg")]
        ).status_code
        == 400
    )
    assert len(opened) == 4 and len(db.session.scalars(select(HeldUpload)).all()) == 1
    stored = storage.path_of(only(HeldUpload).stored_name).read_bytes()
    assert not dict(Image.open(io.BytesIO(stored)).getexif())


# ------------------------------------------------------------------ files kept after a refusal


def test_a_refused_new_ticket_keeps_its_photos_and_the_next_submit_files_them(
    client, client_user, soporte
):
    login(client, client_user.email)
    photos = [upload(phone_photo(), "uno.jpg"), upload(phone_photo(640, 480), "dos.jpg")]
    refused = file_ticket(client, {"subject": ""}, files=photos)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    tokens = held_tokens(page)
    assert len(tokens) == 2 and "uno.jpg" in page and "dos.jpg" in page
    assert page.count("/adjuntos/retenidos/") == 2
    thumb = client.get(f"/adjuntos/retenidos/{tokens[0]}/miniatura")
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.data)).size == (240, 320)
    thumb.close()

    filed = file_ticket(client, {"held": tokens})
    assert filed.status_code == 302
    ticket = only(Ticket)
    names = sorted(a.filename for a in db.session.scalars(select(Attachment)))
    assert names == ["dos.jpg", "uno.jpg"]
    assert all(a.ticket_id == ticket.id for a in db.session.scalars(select(Attachment)))
    assert db.session.scalars(select(HeldUpload)).all() == []


def test_held_files_count_towards_the_limit(app, client, client_user, soporte):
    app.config["MAX_ATTACHMENTS"] = 2
    login(client, client_user.email)
    photos = [upload(phone_photo(40, 30), f"{n}.jpg") for n in "ab"]
    tokens = held_tokens(file_ticket(client, {"subject": ""}, files=photos).get_data(as_text=True))
    third = file_ticket(client, {"held": tokens}, files=[upload(phone_photo(40, 30), "c.jpg")])
    assert third.status_code == 400
    assert db.session.scalars(select(Ticket)).all() == []


def test_a_refused_reply_keeps_its_file_and_the_next_reply_files_it(client, client_user, soporte):
    login(client, client_user.email)
    file_ticket(client)
    number = only(Ticket).number
    refused = reply(client, number, "   ", files=[upload(phone_photo(), "medidor.jpg")])
    assert refused.status_code == 400
    tokens = held_tokens(refused.get_data(as_text=True))
    assert len(tokens) == 1 and db.session.scalars(select(Attachment)).all() == []

    assert reply(client, number, "Aquí va la foto", held=tokens).status_code == 302
    attachment = only(Attachment)
    assert attachment.filename == "medidor.jpg"
    assert attachment.comment_id == only(Comment).id
    assert storage.path_of(attachment.stored_name).is_file()


def test_a_refused_desk_reply_keeps_its_file_too(app, client, client_user, collaborator, soporte):
    login(client, client_user.email)
    file_ticket(client)
    number = only(Ticket).number
    desk = app.test_client()
    login(desk, collaborator.email)
    refused = reply(desk, number, "", files=[upload(PDF, "presupuesto.pdf")], desk=True)
    assert refused.status_code == 400
    tokens = held_tokens(refused.get_data(as_text=True))
    assert reply(desk, number, "Presupuesto adjunto", held=tokens, desk=True).status_code == 302
    assert only(Attachment).filename == "presupuesto.pdf"


def test_someone_elses_held_file_cannot_be_claimed_or_seen(
    app, client, client_user, other_client, soporte
):
    login(client, client_user.email)
    tokens = held_tokens(
        file_ticket(client, {"subject": ""}, files=[upload(phone_photo(), "mio.jpg")]).get_data(
            as_text=True
        )
    )
    stranger = app.test_client()
    login(stranger, other_client.email)
    assert stranger.get(f"/adjuntos/retenidos/{tokens[0]}/miniatura").status_code == 404
    assert file_ticket(stranger, {"held": tokens}).status_code == 302
    assert db.session.scalars(select(Attachment)).all() == []
    assert len(db.session.scalars(select(HeldUpload)).all()) == 1  # still the owner's


def test_an_expired_held_file_is_gone(app, client, client_user, soporte):
    login(client, client_user.email)
    tokens = held_tokens(
        file_ticket(client, {"subject": ""}, files=[upload(phone_photo(), "vieja.jpg")]).get_data(
            as_text=True
        )
    )
    held = only(HeldUpload)
    stored_name = held.stored_name
    held.created_at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    assert client.get(f"/adjuntos/retenidos/{tokens[0]}/miniatura").status_code == 404
    # The next refused form sweeps it away, file and row.
    file_ticket(client, {"subject": ""}, files=[upload(PDF, "otra.pdf")])
    assert not storage.path_of(stored_name).exists()
    assert [h.filename for h in db.session.scalars(select(HeldUpload))] == ["otra.pdf"]
    assert file_ticket(client, {"held": tokens}).status_code == 302
    assert db.session.scalars(select(Attachment)).all() == []


def test_a_refused_on_behalf_ticket_keeps_its_files(app, collaborator, client_user, soporte):
    desk = app.test_client()
    login(desk, collaborator.email)
    path = "/tablero/nueva/"
    refused = file_ticket(
        desk,
        {"requester_email": "nadie"},
        files=[upload(phone_photo(), "portal.jpg")],
        path=path,
    )
    assert refused.status_code == 400
    tokens = held_tokens(refused.get_data(as_text=True))
    filed = file_ticket(desk, {"requester_email": client_user.email, "held": tokens}, path=path)
    assert filed.status_code == 302
    assert only(Attachment).filename == "portal.jpg"
    assert only(Ticket).requester_id == client_user.id
