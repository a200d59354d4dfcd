"""API tokens: made and revoked by their owner, stored hashed, bearer only, rate limited."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import ApiToken
from tests.api.conftest import Api, issue_token
from tests.conftest import csrf_token, login
from tests.test_mail_queue import redis_url  # noqa: F401 - the fixture


def test_token_is_shown_once_and_stored_as_a_digest(app, client_user):
    secret = issue_token(app, client_user.email, name="App móvil")
    token = db.session.scalars(select(ApiToken)).one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.hint, token.name) and secret.startswith(token.hint)
    web = app.test_client()
    login(web, client_user.email)
    page = web.get("/cuenta/tokens").get_data(as_text=True)
    assert "App móvil" in page and token.hint in page and secret not in page
    assert token.last_used_at is None
    assert Api(app, secret).get("/me").json["email"] == client_user.email
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_missing_wrong_or_revoked_tokens_are_401(app, client_user, other_client):
    secret = issue_token(app, client_user.email)
    for header in (
        {},
        {"Authorization": "Bearer sd_nope"},
        {"Authorization": f"Basic {secret}"},
        {"Authorization": "Bearer " + "x" * 500},
    ):
        response = app.test_client().get("/api/v1/me", headers=header)
        assert response.status_code == 401 and response.json["status"] == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="servicedesk"'
    web = app.test_client()
    login(web, other_client.email)
    token = db.session.scalars(select(ApiToken)).one()
    page = web.get("/cuenta/tokens").get_data(as_text=True)
    assert (
        web.post(
            f"/cuenta/tokens/{token.id}/revocar", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 404
    )  # not theirs
    assert Api(app, secret).get("/me").status_code == 200
    login(owner := app.test_client(), client_user.email)
    page = owner.get("/cuenta/tokens").get_data(as_text=True)
    assert (
        owner.post(
            f"/cuenta/tokens/{token.id}/revocar", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 302
    )
    assert Api(app, secret).get("/me").status_code == 401


def test_a_deactivated_users_tokens_stop_working(app, client_user):
    secret = issue_token(app, client_user.email)
    client_user.active = False
    db.session.commit()
    assert Api(app, secret).get("/me").status_code == 401


def test_the_session_cookie_is_not_a_credential(app, client_user):
    """A signed-in browser cannot use the API without a token (so no CSRF exposure)."""
    web = app.test_client()
    login(web, client_user.email)
    assert web.get("/api/v1/me").status_code == 401
    assert web.post("/api/v1/tickets", json={"type": "x"}).status_code == 401


def test_creating_a_token_needs_a_name_and_csrf(app, client_user):
    web = app.test_client()
    login(web, client_user.email)
    assert web.post("/cuenta/tokens", data={"name": "x"}).status_code == 400  # no CSRF token
    page = web.get("/cuenta/tokens").get_data(as_text=True)
    empty = web.post("/cuenta/tokens", data={"csrf_token": csrf_token(page), "name": " "})
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken)).first() is None


def _exhaust(app, secret, limit):
    """Make limit + 1 requests; return the statuses."""
    api = Api(app, secret)
    return [api.get("/me") for _ in range(limit + 1)]


def test_rate_limit_per_token_in_memory(app, client_user, other_client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 5)
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    answers = _exhaust(app, issue_token(app, client_user.email), 5)
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[0].headers["RateLimit-Limit"] == "5"
    assert answers[4].headers["RateLimit-Remaining"] == "0"
    assert int(answers[5].headers["Retry-After"]) >= 1
    assert answers[5].content_type == "application/problem+json"
    # Another token has its own budget.
    assert Api(app, issue_token(app, other_client.email)).get("/me").status_code == 200


def test_rate_limit_is_shared_through_redis(app, client_user, redis_url, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 3)
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    from servicedesk.api import limits

    secret = issue_token(app, client_user.email)
    assert [a.status_code for a in _exhaust(app, secret, 3)] == [200] * 3 + [429]
    # The count lives in Redis, not in this process: clearing ours changes nothing.
    limits._counts.clear()
    assert Api(app, secret).get("/me").status_code == 429


def test_oversized_json_and_page_sizes_are_refused(app, client_user, monkeypatch, soporte):
    monkeypatch.setitem(app.config, "API_MAX_JSON_KB", 1)
    api = Api(app, issue_token(app, client_user.email))
    big = api.post("/tickets", json={"type": "soporte", "subject": "x" * 2000})
    assert big.status_code == 413 and big.content_type == "application/problem+json"
    assert api.get("/tickets?limit=101").status_code == 400
    assert api.get("/tickets?limit=100").status_code == 200
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    import io

    upload = api.post(
        "/tickets",
        data={"ticket": "{}", "attachments": (io.BytesIO(b"\x89PNG" + b"0" * 20_000), "big.png")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 413 and upload.content_type == "application/problem+json"


def test_token_pages_need_a_signed_in_user_and_csrf(app, client_user):
    secret = issue_token(app, client_user.email)
    token = db.session.scalars(select(ApiToken)).one()
    anonymous = app.test_client()
    assert anonymous.get("/cuenta/tokens").headers["Location"].startswith("/login")
    page = anonymous.get("/login").get_data(as_text=True)
    for path in ("/cuenta/tokens", f"/cuenta/tokens/{token.id}/revocar"):
        refused = anonymous.post(path, data={"csrf_token": csrf_token(page), "name": "x"})
        assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    owner = app.test_client()
    login(owner, client_user.email)
    assert owner.post(f"/cuenta/tokens/{token.id}/revocar").status_code == 400  # no CSRF
    assert Api(app, secret).get("/me").status_code == 200
