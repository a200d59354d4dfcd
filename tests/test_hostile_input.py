"""Hostile values in every query parameter and every form field the app shows: never a 500.

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
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "\u202e\ufeff",
]


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
