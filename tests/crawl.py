"""A crawler for tests: the pages and forms a role reaches by following the app's own links."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from servicedesk import demo
from tests.conftest import csrf_token, login

ROLES = {
    "anonymous": None,
    "client": "maria@example.com",
    "collaborator": "carlos@example.com",
    "admin": "admin@example.com",
}
SKIPPED = re.compile(r"/(logout|salir)\b|^/static/")
MAX_PAGES = 300
# Each role's home, and pages an anonymous visitor is sent from to the login form (?next=…).
SEEDS = ["/", "/tablero/", "/mesa-de-ayuda/", "/administracion/"]


@dataclass
class Form:
    """A form as the page shows it: where it goes and the values it would send."""

    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)


class PageParser(HTMLParser):
    """Collect the links and forms of one page, with each field's default value."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record links, forms and the named fields inside forms."""
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(Form(a.get("method", "get").lower(), a.get("action", "")))
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif not self.forms or "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("file", "submit", "image", "reset"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1].fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "textarea":
            self._textarea = True
            self.forms[-1].fields.append((a["name"], ""))

    def handle_endtag(self, tag: str) -> None:
        """Close a select (its default is the selected option, else the first) or textarea."""
        if tag == "select" and self._select is not None and self.forms:
            chosen = [v for v, on in self._options if on] or [v for v, _on in self._options[:1]]
            self.forms[-1].fields.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea":
            self._textarea = False

    def handle_data(self, data: str) -> None:
        """Keep a textarea's text as its value."""
        if self._textarea:
            name, value = self.forms[-1].fields[-1]
            self.forms[-1].fields[-1] = (name, value + data)


def local_path(base: str, href: str) -> str | None:
    """The path and query of a link into this app, or None for other sites and skipped pages."""
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
        return None
    if SKIPPED.search(parts.path):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def endpoint(app: Flask, path: str, method: str) -> str:
    """The endpoint a request reaches (the path itself when none does)."""
    try:
        name, _args = app.url_map.bind("localhost").match(urlsplit(path).path, method)
    except HTTPException:
        return urlsplit(path).path
    return str(name)


def shape(names: list[str]) -> tuple[str, ...]:
    """Field or parameter names with numbers folded, so f-0-label and f-7-label are one."""
    return tuple(sorted({re.sub(r"\d+", "N", n) for n in names}))


@dataclass
class Site:
    """What one role reaches: a sample URL per endpoint and parameters, and every form."""

    pages: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = field(default_factory=dict)
    html: dict[str, str] = field(default_factory=dict)  # path → page, for HTML answers


def crawl(
    app: Flask,
    client: FlaskClient,
    headers: dict[str, str] | None = None,
    by_parameters: bool = True,
) -> Site:
    """Follow the app's links from its home page, one URL per endpoint and parameters.

    by_parameters=False keeps one URL per endpoint (the first found, usually the plainest).
    """
    site, seen, queue = Site(), set(), deque(SEEDS)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        query = parse_qsl(urlsplit(path).query, keep_blank_values=True)
        key = (endpoint(app, path, "GET"), shape([k for k, _v in query]) if by_parameters else ())
        if path in seen or key in site.pages:
            continue
        seen.add(path)
        response = client.get(path, headers=headers)
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()  # downloads (PDF, Excel) hold a file until closed
        if response.status_code in (301, 302, 303):
            queue.append(local_path(path, response.headers["Location"]) or "/")
            continue
        site.pages[key] = path
        if response.status_code != 200 or not page:
            continue
        site.html[path] = page
        parser = PageParser()
        parser.feed(page)
        queue.extend(p for href in parser.links if (p := local_path(path, href)))
        for form in parser.forms:
            form.action = local_path(path, form.action or path) or ""
            if not form.action:
                continue
            if form.method == "get":  # a filter form: its fields are query parameters
                queue.append(form.action.split("?")[0] + "?" + urlencode(form.fields))
                continue
            name = endpoint(app, form.action, "POST")
            site.forms.setdefault((name, form.method, shape([n for n, _v in form.fields])), form)
    return site


def signed_in(app: Flask, role: str) -> FlaskClient:
    """A test client signed in with the role's demo login (or no one)."""
    client = app.test_client()
    if ROLES[role]:
        assert login(client, ROLES[role], demo.DEMO_PASSWORD).status_code == 302
    return client


def speak(client: FlaskClient, role: str, language: str) -> None:
    """Switch the client's language with the page's own language buttons."""
    page = client.get("/cuenta/notificaciones" if ROLES[role] else "/login")
    token = csrf_token(page.get_data(as_text=True))
    assert client.post("/language", data={"lang": language, "csrf_token": token}).status_code == 302
