"""On a phone (375 × 740): no page scrolls sideways, the menu folds and opens without
JavaScript, the Tablero shows cards, the conversation comes before the actions, and a photo
taken with the camera input is filed with the ticket."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from servicedesk import demo
from servicedesk.extensions import db
from servicedesk.models import Attachment, Comment, Ticket, User
from tests.conftest import PASSWORD
from tests.crawl import ROLES, crawl, signed_in
from tests.tickets.conftest import PNG

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

# What sticks out sideways: the page's scroll width, and each element past either edge that
# no scrolling or clipping box around it contains (a wide table inside .table-responsive is
# fine: that box scrolls, not the page).
OVERFLOW = """() => {
  const width = window.innerWidth;
  const contained = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // nothing, or visually hidden
    if (box.right <= width + 0.5 && box.left >= -0.5) continue;
    if (!contained(el)) {
      const classes = typeof el.className === 'string' ? el.className.trim() : '';
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (classes ? '.' + classes.split(/\\s+/).join('.') : '');
      wide.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
  }
  const scroll = document.documentElement.scrollWidth;
  return scroll > width || wide.length ? {scroll, width, wide: wide.slice(0, 8)} : null;
}"""


def open_page(browser, live_server, viewport=PHONE, javascript=True):
    """A page in a fresh context (no cookies) at the given size."""
    context = browser.new_context(
        base_url=live_server, locale="es-ES", viewport=viewport, java_script_enabled=javascript
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the form, at whatever size the page has."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_load_state()


def lengthen_a_ticket() -> None:
    """Give one of María's tickets words no line can hold: a subject, a link, a reply."""
    ticket = db.session.scalar(
        select(Ticket)
        .join(User, User.id == Ticket.requester_id)
        .where(User.email == ROLES["client"])
        .order_by(Ticket.number)
        .limit(1)
    )
    ticket.subject = "Filtración-" + "x" * 180
    ticket.description = "https://example.com/" + "fotos/" * 50
    db.session.add(Comment(ticket_id=ticket.id, author_id=ticket.requester_id, body="y" * 300))
    db.session.commit()


@pytest.mark.parametrize("role", ["client", "collaborator", "admin"])
def test_no_page_the_role_reaches_scrolls_sideways(app, demo_desk, browser, live_server, role):
    """Every page the crawler reaches for the role, at 375 px: nothing wider than the screen."""
    lengthen_a_ticket()
    site = crawl(app, signed_in(app, role))
    assert len(site.html) >= 8
    page = open_page(browser, live_server)
    sign_in(page, ROLES[role], demo.DEMO_PASSWORD)
    overflowing = {}
    for path in sorted(site.html):
        page.goto(path)
        if found := page.evaluate(OVERFLOW):
            overflowing[path] = found
    page.context.close()
    assert not overflowing, "\n".join(f"{p}: {found}" for p, found in overflowing.items())


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_menu_is_folded_on_a_phone_and_opens(browser, live_server, client_user, javascript):
    page = open_page(browser, live_server, javascript=javascript)
    sign_in(page, client_user.email)
    menu_link = page.locator("#nav-menu").get_by_role("link", name="Mesa de ayuda")
    sign_out = page.get_by_role("button", name="Cerrar sesión")
    assert page.get_by_test_id("menu-toggle").is_visible()
    assert not menu_link.is_visible() and not sign_out.is_visible()
    page.get_by_test_id("menu-toggle").click()
    assert menu_link.is_visible() and sign_out.is_visible()
    menu_link.click()
    page.wait_for_url("**/mesa-de-ayuda/")
    assert page.evaluate(OVERFLOW) is None
    page.context.close()


def test_menu_is_open_and_its_toggle_gone_on_a_desktop(browser, live_server, client_user):
    page = open_page(browser, live_server, viewport=DESKTOP)
    sign_in(page, client_user.email)
    assert not page.get_by_test_id("menu-toggle").is_visible()
    assert page.locator("#nav-menu").get_by_role("link", name="Mesa de ayuda").is_visible()
    page.context.close()


def test_tablero_rows_are_cards_on_a_phone_and_rows_on_a_desktop(
    app, demo_desk, browser, live_server
):
    page = open_page(browser, live_server)
    sign_in(page, "carlos@example.com", demo.DEMO_PASSWORD)
    page.goto("/tablero/?view=historial")
    rows = page.locator("[data-ticket-row]")
    assert rows.count() >= 3
    for i in range(rows.count()):
        box = rows.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert rows.nth(i).evaluate("r => getComputedStyle(r).display") == "block"
        # One card: the labels sit before the values, one line each.
        assert box["height"] > 100
    assert page.locator("table.ticket-cards thead").bounding_box()["width"] <= 1  # hidden
    assert page.evaluate(OVERFLOW) is None
    page.set_viewport_size(DESKTOP)
    assert rows.first.evaluate("r => getComputedStyle(r).display") == "table-row"
    assert page.locator("table.ticket-cards thead").bounding_box()["width"] > 1000
    page.context.close()


@pytest.mark.parametrize(
    ("email", "home"),
    [("carlos@example.com", "/tablero/"), ("maria@example.com", "/mesa-de-ayuda/")],
)
def test_ticket_page_puts_the_conversation_before_the_actions(
    app, demo_desk, browser, live_server, email, home
):
    page = open_page(browser, live_server)
    sign_in(page, email, demo.DEMO_PASSWORD)
    page.goto(home)
    page.locator("[data-ticket-row] a").first.click()
    page.wait_for_url(re.compile(r".*/tickets/\d+"))
    thread = page.get_by_test_id("thread").bounding_box()
    actions = page.get_by_test_id("actions").bounding_box()
    assert thread["y"] + thread["height"] <= actions["y"]
    assert page.evaluate(OVERFLOW) is None
    if home == "/tablero/":  # the desk's actions go beside the conversation on a desktop
        page.set_viewport_size(DESKTOP)
        thread = page.get_by_test_id("thread").bounding_box()
        actions = page.get_by_test_id("actions").bounding_box()
        assert actions["x"] > thread["x"] + thread["width"] and actions["y"] < thread["y"]
    page.context.close()


def test_a_photo_from_the_camera_input_is_filed_with_the_ticket(
    browser, live_server, tmp_path, client_user, soporte
):
    """ "Agregar petición" on a phone: one file from the picker, one from the camera input."""
    document, photo = tmp_path / "plano.png", tmp_path / "foto.png"
    document.write_bytes(PNG)
    photo.write_bytes(PNG)
    page = open_page(browser, live_server)
    sign_in(page, client_user.email)
    page.goto("/mesa-de-ayuda/")
    page.get_by_role("link", name="Agregar petición").click()
    page.get_by_role("link", name=re.compile("Soporte")).click()
    camera = page.get_by_label("Tomar foto")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*"
    assert page.locator("#attachments").get_attribute("accept") == "image/*,application/pdf"
    page.fill("#subject", "Grieta en la pared")
    page.fill("[name=cf-ubicacion]", "Depto 202")
    page.select_option("[name=cf-categoria]", "agua")
    page.set_input_files("#attachments", str(document))
    camera.set_input_files(str(photo))
    assert page.evaluate(OVERFLOW) is None
    page.locator("form.fe-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/mesa-de-ayuda/tickets/\d+"))
    number = int(page.url.rsplit("/", 1)[1])
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    names = db.session.scalars(
        select(Attachment.filename).where(Attachment.ticket_id == ticket.id)
    ).all()
    assert sorted(names) == ["foto.png", "plano.png"]
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 2
    page.context.close()
