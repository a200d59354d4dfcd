"""Hostile values in every query parameter and every form field the app shows: never a 500.

The pages are found by following the app's own links as each role, so a new route, filter or
form is covered as soon as a page links to it.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from servicedesk import demo
from servicedesk.extensions import db
from servicedesk.models import ApiToken, SavedView, User
from tests.conftest import login

HOSTILE = [
    "99999999999999999999999",  # beyond every integer column
    "-1",
    "²",  # str.isdigit() says yes, int() says no
    "1e309",  # float() reads infinity
    "2026-02-30",
    "x" * 5000,
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "\u202e\ufeff",
]
ROLES = {"anonymous": None, "client": "maria@example.com",
         "collaborator": "carlos@example.com", "admin": "admin@example.com"}
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


def crawl(app: Flask, client: FlaskClient) -> Site:
    """Follow the app's links from its home page, one URL per endpoint and parameters."""
    site, seen, queue = Site(), set(), deque(SEEDS)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        query = parse_qsl(urlsplit(path).query, keep_blank_values=True)
        key = (endpoint(app, path, "GET"), shape([k for k, _v in query]))
        if path in seen or key in site.pages:
            continue
        seen.add(path)
        response = client.get(path)
        response.close()  # downloads (PDF, Excel) hold a file until closed
        if response.status_code in (301, 302, 303):
            queue.append(local_path(path, response.headers["Location"]) or "/")
            continue
        site.pages[key] = path
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = PageParser()
        parser.feed(response.get_data(as_text=True))
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


@pytest.fixture
def demo_desk(app: Flask) -> None:
    """The demo desk, plus a saved view and an API token so their forms show too."""
    demo.load()
    db.session.flush()
    carlos = db.session.scalar(select(User).where(User.email == ROLES["collaborator"]))
    db.session.add(SavedView(user_id=carlos.id, name="Urgentes", query="priority=urgent"))
    ApiToken.issue(carlos, "script")
    db.session.commit()


def signed_in(app: Flask, role: str) -> FlaskClient:
    """A test client signed in with the role's demo login (or no one)."""
    client = app.test_client()
    if ROLES[role]:
        assert login(client, ROLES[role], demo.DEMO_PASSWORD).status_code == 302
    return client


def replaced(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The pairs with every value of one field (numbers folded) replaced."""
    return [(n, value if re.sub(r"\d+", "N", n) == name else v) for n, v in pairs]


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_parameters_never_make_a_server_error(app, demo_desk, role):
    """Each parameter of each reachable page, one hostile value at a time."""
    client = signed_in(app, role)
    site = crawl(app, client)
    assert len(site.pages) > (2 if role == "anonymous" else 8), site.pages
    failures, tried = [], 0
    for (_endpoint, names), path in site.pages.items():
        base, _sep, query = path.partition("?")
        pairs = parse_qsl(query, keep_blank_values=True)
        for name in names:
            for value in HOSTILE:
                url = base + "?" + urlencode(replaced(pairs, name, value))
                response = client.get(url)
                response.close()
                status = response.status_code
                tried += 1
                if status >= 500:
                    failures.append((status, url[:200]))
    assert tried > 0, site.pages
    assert not failures, failures


@pytest.mark.parametrize("role", ROLES)
def test_hostile_form_fields_never_make_a_server_error(app, demo_desk, role):
    """Each field of each form the role is shown, one hostile value at a time."""
    client = signed_in(app, role)
    site = crawl(app, client)
    assert site.forms
    failures = []
    for (_endpoint, method, names), form in site.forms.items():
        for name in names:
            if name == "csrf_token":
                continue
            for value in HOSTILE:
                data = replaced(form.fields, name, value)
                response = client.open(form.action, method=method.upper(),
                                       data=MultiDict(data))
                response.close()
                if response.status_code >= 500:
                    failures.append((response.status_code, form.action, name, value[:30]))
                if response.status_code == 302 and "/login" in response.headers["Location"]:
                    client = signed_in(app, role)  # the form ended the session: sign in again
    assert not failures, failures
