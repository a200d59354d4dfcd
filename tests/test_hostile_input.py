"""Hostile values in every query parameter and form field the app shows: no 500, no raw markup.

The pages are found by following the app's own links as each role (tests/crawl.py), so a new
route, filter or form is covered as soon as a page links to it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

import pytest
from werkzeug.datastructures import MultiDict

from tests.crawl import ROLES, crawl, signed_in

HOSTILE = [
    "99999999999999999999999",  # beyond every integer column
    "-1",
    "²",  # str.isdigit() says yes, int() says no
    "1e309",  # float() reads infinity
    "2026-02-30",
    "x" * 5000,
    MARKUP := "<script>alert(1)</script>",
    "' OR '1'='1",
    "\u202e\ufeff",
    # The values of issue 14, item 9 (each was a 500 somewhere):
    "2147483648",  # one past the INTEGER range
    "0001-01-01",  # the day before overflows a datetime
    "9999-12-31",  # so does the day after
    "a\x00b",  # PostgreSQL refuses NUL in text
    "[" * 10_000 + "]" * 10_000,  # JSON deeper than Python's recursion limit
    '{"type": "object", "title": "a\\u0000", "dependencies": {"a": ["b"]}}',
    '["\\ud800"]',  # a lone surrogate once decoded
]


def fetch(client, method: str, url: str, data: MultiDict | None = None) -> tuple[int, str, str]:
    """Send a request; return its status, its HTML (for a page) and where it redirects."""
    response = client.open(url, method=method, data=data)
    body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    response.close()  # downloads hold a file until closed
    return response.status_code, body, response.headers.get("Location", "")


def replaced(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The pairs with every value of one field (numbers folded) replaced."""
    return [(n, value if re.sub(r"\d+", "N", n) == name else v) for n, v in pairs]


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_parameters_never_make_a_server_error(app, demo_desk, role):
    """Each parameter of each reachable page, one hostile value at a time; none is echoed raw."""
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
                status, body, _location = fetch(client, "GET", url)
                tried += 1
                if status >= 500 or MARKUP in body:
                    failures.append((status, url[:200]))
    assert tried > 0, site.pages
    assert not failures, failures


@pytest.mark.parametrize("role", ROLES)
def test_ids_beyond_every_row_in_page_paths_are_not_found(app, demo_desk, role):
    """Each number in each reachable page's path, replaced by one past the INTEGER range."""
    client = signed_in(app, role)
    site = crawl(app, client)
    failures, tried = [], set()
    for path in site.pages.values():
        base = path.partition("?")[0]
        for match in re.finditer(r"(?<=/)\d+(?=/|\.|$)", base):
            url = base[: match.start()] + "2147483648" + base[match.end() :]
            if url in tried:
                continue
            tried.add(url)
            status, _body, _location = fetch(client, "GET", url)
            if status != 404:
                failures.append((status, url))
    assert role == "anonymous" or tried, site.pages
    assert not failures, failures


@pytest.mark.parametrize("role", ROLES)
def test_hostile_form_fields_never_make_a_server_error(app, demo_desk, role):
    """Each field of each form the role is shown, one hostile value at a time; no markup runs."""
    client = signed_in(app, role)
    site = crawl(app, client)
    assert site.forms
    failures = []
    for (_endpoint, method, names), form in site.forms.items():
        for name in names:
            if name == "csrf_token":
                continue
            for value in HOSTILE:
                data = MultiDict(replaced(form.fields, name, value))
                status, body, location = fetch(client, method.upper(), form.action, data)
                if status >= 500 or MARKUP in body:
                    failures.append((status, form.action, name, value[:30]))
                if status == 302 and "/login" in location:
                    client = signed_in(app, role)  # the form ended the session: sign in again
    assert not failures, failures
    # Whatever was saved is shown escaped everywhere the role can look.
    stored = [path for path, page in crawl(app, client).html.items() if MARKUP in page]
    assert not stored, stored
