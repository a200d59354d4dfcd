"""CSRF and safe methods over the whole URL map: no GET writes, no unsafe route without a token."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from servicedesk.extensions import db
from tests.crawl import ROLES, crawl, signed_in

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_role_can_reach_writes_to_the_database(app, demo_desk, role, monkeypatch):
    """Following every link (GET) as each role changes nothing: GET handlers only read."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX", 0)  # every export is a large one
    client = signed_in(app, role)
    writes: list[str] = []

    def watch(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith(WRITES):
            writes.append(statement.split("\n")[0][:120])

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        site = crawl(app, client)
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert len(site.pages) >= 3
    assert writes == []


def test_every_unsafe_route_refuses_a_request_without_csrf_token(app, demo_desk):
    """Each POST/PUT/PATCH/DELETE rule outside the token-only API answers 400 with no token."""
    client = signed_in(app, "admin")
    checked = 0
    for rule in app.url_map.iter_rules():
        unsafe = (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}
        if not unsafe or rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
        for method in unsafe:
            response = client.open(path, method=method, data={"name": "x"})
            assert response.status_code == 400, (method, rule.rule, response.status_code)
            checked += 1
    assert checked > 30
