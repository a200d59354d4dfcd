"""Each role signs in through the login form and lands on its home page."""

import pytest

from servicedesk.models import User
from tests.conftest import login


@pytest.mark.parametrize(
    ("fixture", "home"),
    [
        ("client_user", "/mesa-de-ayuda/"),
        ("collaborator", "/tablero/"),
        ("admin", "/tablero/"),
    ],
)
def test_each_role_lands_home(request, client, fixture, home):
    user: User = request.getfixturevalue(fixture)
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)
