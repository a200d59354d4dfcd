"""Fixtures for API tests: tokens made through the web page, and a JSON client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import csrf_token, login

SECRET_RE = re.compile(r'id="secret" value="(sd_[A-Za-z0-9_-]+)"')


def issue_token(app: Flask, email: str, name: str = "integración") -> str:
    """Sign in, create a token on the tokens page and return the secret it shows once."""
    web = app.test_client()
    login(web, email)
    token = csrf_token(web.get("/cuenta/tokens").get_data(as_text=True))
    page = web.post("/cuenta/tokens", data={"csrf_token": token, "name": name})
    assert page.status_code == 200
    found = SECRET_RE.search(page.get_data(as_text=True))
    assert found, "the new token is not on the page"
    return found.group(1)


class Api:
    """A test client that sends one user's bearer token with every request."""

    def __init__(self, app: Flask, secret: str | None) -> None:
        self.client, self.secret = app.test_client(), secret

    def open(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        """Make a request under /api/v1 with the token."""
        sent = dict(headers or {})
        if self.secret:
            sent.setdefault("Authorization", f"Bearer {self.secret}")
        return self.client.open("/api/v1" + path, method=method, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET with the token."""
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        """POST with the token."""
        return self.open("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        """PATCH with the token."""
        return self.open("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        """PUT with the token."""
        return self.open("PUT", path, **kwargs)


@pytest.fixture
def api_for(app):
    """Make an API client for a user (a token issued through the web page)."""
    return lambda user: Api(app, issue_token(app, user.email))


@pytest.fixture
def client_api(api_for, client_user):
    """The API as the client who files tickets."""
    return api_for(client_user)


@pytest.fixture
def other_api(api_for, other_client):
    """The API as another client."""
    return api_for(other_client)


@pytest.fixture
def desk_api(api_for, collaborator):
    """The API as a collaborator."""
    return api_for(collaborator)


@pytest.fixture
def admin_api(api_for, admin):
    """The API as an administrator."""
    return api_for(admin)


NEW = {
    "type": "soporte",
    "subject": "Fuga de agua",
    "description": "En el baño",
    "data": {"ubicacion": "Depto 101", "categoria": "agua"},
}
