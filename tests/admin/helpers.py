"""Helpers shared by the administration tests."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from servicedesk.extensions import db
from servicedesk.models import Area, Role, User
from tests.conftest import csrf_token

ROW_RE = re.compile(r'data-testid="user-row-(\d+)"')


def token_for(client: FlaskClient, page: str = "/login") -> str:
    """Return the session's CSRF token from any page that renders one."""
    return csrf_token(client.get(page).get_data(as_text=True))


def post(
    client: FlaskClient, path: str, data: dict | None = None, page: str = "/administracion/"
) -> object:
    """Post to path with a CSRF token taken from page."""
    return client.post(path, data={**(data or {}), "csrf_token": token_for(client, page)})


def invited_user(
    email: str = "invitado@example.org", name: str = "Iván Invitado", role: Role = Role.COLLABORATOR
) -> User:
    """A user who was invited and never chose a password."""
    user = User(email=email, name=name, role=role, language="es", active=True)
    db.session.add(user)
    db.session.commit()
    return user


def make_area(name: str, active: bool = True) -> Area:
    """Create and commit an area."""
    area = Area(name=name, active=active)
    db.session.add(area)
    db.session.commit()
    return area


def listed_ids(html: str) -> set[int]:
    """Return the ids of the users listed on a users page."""
    return {int(i) for i in ROW_RE.findall(html)}
