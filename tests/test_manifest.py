"""The web app manifest and icons: a phone can add the desk to its home screen."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from tests.conftest import csrf_token


def fetch(client, path: str) -> tuple[int, str, bytes]:
    """GET one path; its status, mimetype and body."""
    response = client.get(path)
    body = response.get_data()
    response.close()
    return response.status_code, response.mimetype, body


def test_manifest_names_the_desk_and_its_icons(client):
    status, mimetype, body = fetch(client, "/manifest.webmanifest")
    assert status == 200 and mimetype == "application/manifest+json"
    manifest = json.loads(body)
    assert manifest["name"] == "Mesa de ayuda" and manifest["lang"] == "es"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0d6efd"
    assert sorted(icon["sizes"] for icon in manifest["icons"]) == ["192x192", "512x512"]
    for icon in manifest["icons"]:
        status, mimetype, png = fetch(client, icon["src"])
        assert status == 200 and mimetype == "image/png" == icon["type"]
        width, height = Image.open(io.BytesIO(png)).size
        assert f"{width}x{height}" == icon["sizes"]


def test_manifest_speaks_the_visitors_language(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    manifest = json.loads(fetch(client, "/manifest.webmanifest")[2])
    assert manifest["name"] == "Help desk" and manifest["lang"] == "en"


def test_every_page_links_the_manifest_icons_and_theme_colour(client):
    page = client.get("/login").get_data(as_text=True)
    links = [
        dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag)) for tag in re.findall(r"<link [^>]+>", page)
    ]
    assert {"rel": "manifest", "href": "/manifest.webmanifest"} in links
    assert '<meta name="theme-color" content="#0d6efd">' in page
    icons = {(link["rel"], link.get("type", "")): link["href"] for link in links}
    expected = {
        ("icon", "image/svg+xml"): "image/svg+xml",
        ("icon", "image/png"): "image/png",
        ("apple-touch-icon", ""): "image/png",
    }
    for key, kind in expected.items():
        status, mimetype, body = fetch(client, icons[key])
        assert status == 200 and mimetype == kind and body, key
    status, _mimetype, png = fetch(client, icons[("apple-touch-icon", "")])
    assert Image.open(io.BytesIO(png)).size == (180, 180)


def test_the_menu_folds_behind_a_labelled_checkbox(client):
    page = client.get("/login").get_data(as_text=True)
    nav = page.split("</nav>")[0]
    assert '<input class="nav-toggle visually-hidden" type="checkbox" id="nav-toggle"' in nav
    assert '<label class="navbar-toggler" for="nav-toggle"' in nav and ">Menú<" in nav
    # The menu folds with CSS alone: no script toggles it (the app works without JavaScript).
    assert "data-bs-toggle" not in nav
