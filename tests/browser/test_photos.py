"""Photos from a phone in Chromium: shown upright as thumbnails, no GPS in what is served,
and a refused "Agregar petición" keeps its two photos for the next submit (issue #16)."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.images import THUMBNAIL_BOUND
from servicedesk.models import Attachment, Ticket
from tests.browser.test_admin_types import sign_in
from tests.tickets.test_photos import GPS_IFD, phone_photo

pytestmark = pytest.mark.browser


def test_refused_form_keeps_photos_shown_upright_without_gps(
    page, tmp_path, client_user, soporte, artifacts_dir
):
    upright = tmp_path / "medidor.jpg"
    upright.write_bytes(phone_photo())  # landscape pixels, EXIF orientation 6, GPS
    other = tmp_path / "pasillo.jpg"
    other.write_bytes(phone_photo(800, 600))
    sign_in(page, client_user.email)
    page.goto("/mesa-de-ayuda/nueva/soporte")
    page.fill("#subject", "Medidor de agua roto")
    page.select_option("[name=cf-categoria]", "agua")  # the required Ubicación stays empty
    page.set_input_files("#attachments", [str(upright), str(other)])
    page.locator("form.fe-form button[type=submit]").click()
    page.wait_for_load_state()

    # Shown again with the two photos attached: nothing to choose again.
    kept = page.get_by_test_id("held-files")
    assert kept.locator("input[name=held]:checked").count() == 2
    assert "medidor.jpg" in kept.inner_text() and "pasillo.jpg" in kept.inner_text()
    page.screenshot(path=str(artifacts_dir / "photos-1-kept.png"), full_page=True)
    page.fill("[name=cf-ubicacion]", "Depto 204")
    page.locator("form.fe-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/mesa-de-ayuda/tickets/\d+"))

    number = int(page.url.rsplit("/", 1)[1])
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    attachments = db.session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    ).all()
    assert sorted(a.filename for a in attachments) == ["medidor.jpg", "pasillo.jpg"]

    thumb = page.locator("img.attachment-thumb[alt='medidor.jpg']")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    width, height = thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width < height  # upright: the phone was held vertically
    assert max(width, height) <= THUMBNAIL_BOUND
    assert thumb.get_attribute("loading") == "lazy"
    assert (thumb.get_attribute("width"), thumb.get_attribute("height")) == (
        str(width),
        str(height),
    )
    page.screenshot(path=str(artifacts_dir / "photos-2-ticket.png"), full_page=True)

    # The full file the thumbnail links to, as the browser downloads it: no GPS, upright.
    href = page.locator("a[data-testid=attachment]", has=thumb).get_attribute("href")
    served = page.request.get(href)
    assert served.ok
    picture = Image.open(io.BytesIO(served.body()))
    assert picture.width < picture.height
    assert not picture.getexif().get_ifd(GPS_IFD)


def test_a_refused_form_keeps_the_photo_of_a_file_field(page, tmp_path, client_user, soporte):
    photo = tmp_path / "grieta.jpg"
    photo.write_bytes(phone_photo(800, 600))
    sign_in(page, client_user.email)
    page.goto("/mesa-de-ayuda/nueva/soporte")
    page.fill("#subject", "Grieta en el muro")
    page.select_option("[name=cf-categoria]", "agua")  # the required Ubicación stays empty
    page.set_input_files("#cf-fotos", str(photo))
    page.locator("form.fe-form button[type=submit]").click()
    page.wait_for_load_state()

    # Shown ticked inside its own field, with its thumbnail; the field's input is empty.
    field = page.locator("#cf-fotos-field")
    assert field.locator("input[type=checkbox][name=cf-fotos]:checked").count() == 1
    assert "grieta.jpg" in field.inner_text()
    thumb = field.locator("img.attachment-thumb[alt='grieta.jpg']")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert page.get_by_test_id("held-files").count() == 0
    page.fill("[name=cf-ubicacion]", "Depto 9")
    page.locator("form.fe-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/mesa-de-ayuda/tickets/\d+"))

    number = int(page.url.rsplit("/", 1)[1])
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    attachment = db.session.scalars(select(Attachment)).one()
    assert (attachment.ticket_id, attachment.filename) == (ticket.id, "grieta.jpg")
    assert ticket.data["fotos"] == [str(attachment.id)]
