"""Users: filters, pagination, editing, deactivation, invitations and the last administrator."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from servicedesk.extensions import db
from servicedesk.models import Area, AuthToken, Role, User
from tests.admin.helpers import invited_user, listed_ids, make_area, post
from tests.conftest import PASSWORD, Mailbox, login, make_user, post_form

USERS = "/administracion/usuarios"
LINK_RE = re.compile(r"http://localhost(/invitation/[A-Za-z0-9_\-]+)")


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def link_in(message) -> str:
    match = LINK_RE.search(Mailbox.text_of(message))
    assert match
    return match.group(1)


@pytest.fixture
def signed_in(client, admin):
    login(client, admin.email)
    return client


@pytest.fixture
def people(admin, collaborator, client_user, other_client):
    """One user of each kind, plus an invited and a deactivated one."""
    return {
        "admin": admin,
        "collaborator": collaborator,
        "client": client_user,
        "other": other_client,
        "invited": invited_user(),
        "inactive": make_user(Role.CLIENT, "baja@example.org", "Berta Baja", active=False),
    }


def ids(people, *names) -> set[int]:
    return {people[name].id for name in names}


def listed(client, query: str = "") -> set[int]:
    response = client.get(f"{USERS}{query}")
    assert response.status_code == 200, query
    return listed_ids(response.get_data(as_text=True))


# ---------------------------------------------------------------- filters and pages


def test_filters_return_the_right_rows(signed_in, people):
    seguridad = db.session.scalar(select(Area).where(Area.name == "Seguridad"))
    everyone = ids(people, *people)
    assert listed(signed_in) == everyone
    assert listed(signed_in, "?role=client") == ids(people, "client", "other", "inactive")
    assert listed(signed_in, "?role=admin") == ids(people, "admin")
    assert listed(signed_in, "?role=collaborator") == ids(people, "collaborator", "invited")
    assert listed(signed_in, f"?area={seguridad.id}") == ids(people, "collaborator")
    assert listed(signed_in, "?state=invited") == ids(people, "invited")
    assert listed(signed_in, "?state=inactive") == ids(people, "inactive")
    assert listed(signed_in, "?state=active") == ids(
        people, "admin", "collaborator", "client", "other"
    )
    assert listed(signed_in, "?q=clara") == ids(people, "client")
    assert listed(signed_in, "?q=OTHER%40example") == ids(people, "other")
    assert listed(signed_in, "?q=%20%20carla%20") == ids(people, "collaborator")
    assert listed(signed_in, "?role=client&state=active&q=o") == ids(people, "client", "other")
    assert listed(signed_in, "?q=%25") == set()  # a literal %, not a wildcard
    assert listed(signed_in, "?q=_") == set()
    assert listed(signed_in, "?q=nadie") == set()


def test_filter_form_keeps_the_chosen_values(signed_in, people):
    page = signed_in.get(f"{USERS}?role=client&state=inactive&q=berta").get_data(as_text=True)
    assert '<option value="client" selected>' in page
    assert '<option value="inactive" selected>' in page
    assert 'name="q" value="berta"' in page


@pytest.mark.parametrize(
    "query",
    [
        "?role=root",
        "?role[]=admin",
        "?area=abc",
        "?area=-1",
        "?area=0",
        "?area=1.5",
        "?area=99999999999999999999999",
        "?area=1%27%20OR%201=1",
        "?state=deleted",
        "?page=0",
        "?page=-3",
        "?page=abc",
        "?page=99999999999999999999",
        "?page=1e3",
        "?q=" + "x" * 5000,
        "?q=%27%3B%20DROP%20TABLE%20users%3B--",
        "?q=%0d%0a",
        "?role=admin&role=client",
        "?q=\\",
        "?x[]=1&q[]=2",
    ],
)
def test_bad_filter_values_are_ignored(signed_in, people, query):
    rows = listed(signed_in, query)
    assert rows <= ids(people, *people)


@pytest.mark.parametrize("query", ["?state=%00", "?q=%00%0d%0a", "?q%00=1"])
def test_nul_bytes_get_a_clear_400(signed_in, people, query):
    response = signed_in.get(f"{USERS}{query}")
    assert response.status_code == 400
    assert "No pudimos entender la solicitud" in response.get_data(as_text=True)


def test_unknown_filters_mean_no_filter(signed_in, people):
    everyone = ids(people, *people)
    assert listed(signed_in, "?role=root&state=deleted&area=abc&page=zz") == everyone


def test_pagination(signed_in, admin):
    for n in range(60):
        db.session.add(
            User(
                email=f"c{n:02d}@example.org",
                name=f"Cliente {n:02d}",
                role=Role.CLIENT,
                language="es",
                password_hash="x",
            )
        )
    db.session.commit()
    first = signed_in.get(USERS).get_data(as_text=True)
    assert len(listed_ids(first)) == 50
    assert 'data-total="61"' in first
    assert 'rel="next" href="/administracion/usuarios?page=2"' in first
    second = listed(signed_in, "?page=2")
    assert len(second) == 11 and not second & listed_ids(first)
    assert listed(signed_in, "?page=99") == second  # past the end: the last page
    filtered = signed_in.get(f"{USERS}?role=client").get_data(as_text=True)
    assert len(listed_ids(filtered)) == 50
    assert "role=client" in re.search(r'rel="next" href="([^"]+)"', filtered).group(1)
    assert len(listed(signed_in, "?role=client&page=2")) == 10


def test_users_list_runs_a_fixed_number_of_queries(signed_in, app):
    areas = [make_area(f"Área {i}") for i in range(3)]

    def add_users(start: int, stop: int) -> None:
        for n in range(start, stop):
            user = User(
                email=f"u{n:03d}@example.org",
                name=f"Persona {n:03d}",
                role=Role.COLLABORATOR,
                language="es",
                password_hash="x",
            )
            user.areas = [areas[n % 3], areas[(n + 1) % 3]]
            db.session.add(user)
        db.session.commit()

    def statements(path: str) -> int:
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert signed_in.get(path).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    add_users(0, 4)  # 5 users with the administrator
    signed_in.get(USERS)
    few = statements(USERS)
    add_users(4, 60)
    many = statements(USERS)
    assert few == many, (few, many)
    assert few <= 8, few
    assert statements(f"{USERS}?role=collaborator&area={areas[0].id}&q=persona") == few


# ---------------------------------------------------------------- invite and edit


def test_invite_still_works_from_the_list(signed_in, mailbox):
    response = post_form(
        signed_in,
        USERS,
        {"name": "Nora Nueva", "email": "Nora@Example.org", "role": "client", "language": "en"},
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "nora@example.org"))
    assert user is not None and user.password_hash is None and user.language == "en"
    assert len(mailbox.to("nora@example.org")) == 1


def test_invite_with_bad_input_keeps_the_form(signed_in, client_user, mailbox):
    response = post_form(
        signed_in,
        USERS,
        {"name": "Dup", "email": client_user.email.upper(), "role": "client", "language": "es"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in page and 'value="Dup"' in page
    response = post_form(
        signed_in, USERS, {"name": "", "email": "not-an-email", "role": "root", "language": "xx"}
    )
    assert response.status_code == 400
    assert 'value="not-an-email"' in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_edit_name_role_language_and_areas(signed_in, collaborator):
    limpieza = make_area("Limpieza")
    page = signed_in.get(f"{USERS}/{collaborator.id}").get_data(as_text=True)
    assert f'value="{collaborator.name}"' in page
    response = post(
        signed_in,
        f"{USERS}/{collaborator.id}",
        {"name": "Carla Jefa", "role": "admin", "language": "en", "areas": [limpieza.id]},
    )
    assert response.status_code == 302 and response.headers["Location"] == USERS
    user = fresh(collaborator)
    assert (user.name, user.role, user.language) == ("Carla Jefa", Role.ADMIN, "en")
    assert [a.name for a in user.areas] == ["Limpieza"]


def test_edit_client_with_areas_is_refused(signed_in, client_user):
    area = make_area("Limpieza")
    response = post(
        signed_in,
        f"{USERS}/{client_user.id}",
        {"name": "Clara Nueva", "role": "client", "language": "es", "areas": [area.id]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="areas-error"' in page and 'value="Clara Nueva"' in page
    user = fresh(client_user)
    assert user.name == "Clara Client" and user.areas == []


def test_demoting_a_member_to_client_asks_to_clear_the_areas(signed_in, collaborator):
    response = post(
        signed_in,
        f"{USERS}/{collaborator.id}",
        {
            "name": collaborator.name,
            "role": "client",
            "language": "es",
            "areas": [a.id for a in collaborator.areas],
        },
    )
    assert response.status_code == 400
    assert fresh(collaborator).role == Role.COLLABORATOR
    response = post(
        signed_in,
        f"{USERS}/{collaborator.id}",
        {"name": collaborator.name, "role": "client", "language": "es"},
    )
    assert response.status_code == 302
    user = fresh(collaborator)
    assert user.role == Role.CLIENT and user.areas == []


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "role": "client", "language": "es"},
        {"name": "X" * 121, "role": "client", "language": "es"},
        {"name": "Ok", "role": "root", "language": "es"},
        {"name": "Ok", "role": "client", "language": "fr"},
        {"name": "Ok", "role": "collaborator", "language": "es", "areas": ["abc"]},
        {"name": "Ok", "role": "collaborator", "language": "es", "areas": ["424242"]},
    ],
)
def test_bad_edits_are_refused_and_change_nothing(signed_in, client_user, data):
    response = post(signed_in, f"{USERS}/{client_user.id}", data)
    assert response.status_code == 400
    assert 'id="error-summary"' in response.get_data(as_text=True)
    user = fresh(client_user)
    assert (user.name, user.role, user.language) == ("Clara Client", Role.CLIENT, "es")


def test_mass_assignment_is_ignored(signed_in, client_user):
    before = fresh(client_user).session_token
    response = post(
        signed_in,
        f"{USERS}/{client_user.id}",
        {
            "name": "Clara",
            "role": "client",
            "language": "es",
            "email": "evil@example.org",
            "active": "0",
            "password_hash": "x",
            "session_token": "abc",
        },
    )
    assert response.status_code == 302
    user = fresh(client_user)
    assert (user.email, user.active, user.session_token) == ("client@example.org", True, before)
    assert user.check_password(PASSWORD)


# ---------------------------------------------------------------- deactivate and reactivate


def test_deactivation_ends_sessions_and_reactivation_lets_them_back(signed_in, collaborator):
    other = signed_in.application.test_client()
    login(other, collaborator.email)
    assert other.get("/tablero/").status_code == 200
    response = post(signed_in, f"{USERS}/{collaborator.id}/desactivar")
    assert response.status_code == 302
    user = fresh(collaborator)
    assert user.active is False and user.areas  # membership kept
    follow = other.get("/tablero/")
    assert follow.status_code == 302 and follow.headers["Location"].startswith("/login")
    assert login(signed_in.application.test_client(), collaborator.email).status_code == 200
    page = signed_in.get(f"{USERS}?state=inactive").get_data(as_text=True)
    assert listed_ids(page) == {collaborator.id}

    assert post(signed_in, f"{USERS}/{collaborator.id}/reactivar").status_code == 302
    assert fresh(collaborator).active is True
    again = signed_in.application.test_client()
    assert login(again, collaborator.email).headers["Location"] == "/tablero/"
    assert again.get("/tablero/").status_code == 200


def test_deactivation_voids_pending_invitation_links(signed_in, mailbox):
    post_form(
        signed_in,
        USERS,
        {"name": "Nora", "email": "nora@example.org", "role": "client", "language": "es"},
    )
    path = link_in(mailbox.to("nora@example.org")[0])
    user = db.session.scalar(select(User).where(User.email == "nora@example.org"))
    assert post(signed_in, f"{USERS}/{user.id}/desactivar").status_code == 302
    assert signed_in.application.test_client().get(path).status_code == 404
    # An inactive user gets no new invitation until reactivated.
    response = post(signed_in, f"{USERS}/{user.id}/reenviar-invitacion")
    assert response.status_code == 400
    assert len(mailbox.to("nora@example.org")) == 1


# ---------------------------------------------------------------- invitations


def test_resend_invitation_mails_a_new_link_and_kills_the_old(signed_in, mailbox):
    post_form(
        signed_in,
        USERS,
        {
            "name": "Nora Nueva",
            "email": "nora@example.org",
            "role": "collaborator",
            "language": "es",
        },
    )
    old = link_in(mailbox.to("nora@example.org")[0])
    user = db.session.scalar(select(User).where(User.email == "nora@example.org"))
    page = signed_in.get(f"{USERS}/{user.id}").get_data(as_text=True)
    assert 'data-testid="resend-invitation"' in page
    response = post(signed_in, f"{USERS}/{user.id}/reenviar-invitacion")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{USERS}/{user.id}"
    messages = mailbox.to("nora@example.org")
    assert len(messages) == 2
    new = link_in(messages[1])
    assert new != old
    invited = signed_in.application.test_client()
    assert invited.get(old).status_code == 404
    assert invited.get(new).status_code == 200
    done = post_form(
        invited, new, {"password": "my first password", "confirm": "my first password"}
    )
    assert done.headers["Location"] == "/tablero/"
    assert (
        login(
            signed_in.application.test_client(), "nora@example.org", "my first password"
        ).status_code
        == 302
    )


def test_resend_is_only_for_users_without_a_password(signed_in, client_user, mailbox):
    page = signed_in.get(f"{USERS}/{client_user.id}").get_data(as_text=True)
    assert 'data-testid="resend-invitation"' not in page
    response = post(signed_in, f"{USERS}/{client_user.id}/reenviar-invitacion")
    assert response.status_code == 400
    assert mailbox.messages == []
    assert db.session.scalars(select(AuthToken)).all() == []
    assert fresh(client_user).check_password(PASSWORD)


# ---------------------------------------------------------------- the last administrator


def admin_state(user: User) -> tuple:
    user = fresh(user)
    return user.role, user.active, user.session_token, user.name


def test_last_admin_cannot_demote_or_deactivate_themselves(signed_in, admin):
    before = admin_state(admin)
    response = post(
        signed_in,
        f"{USERS}/{admin.id}",
        {"name": "Otro nombre", "role": "collaborator", "language": "es"},
    )
    assert response.status_code == 400
    assert 'id="role-error"' in response.get_data(as_text=True)
    assert admin_state(admin) == before
    response = post(signed_in, f"{USERS}/{admin.id}/desactivar")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert admin_state(admin) == before
    assert signed_in.get(USERS).status_code == 200  # still signed in


def test_invited_or_inactive_admins_do_not_count(signed_in, admin):
    invited_user("nuevo-admin@example.org", "Nuevo Admin", Role.ADMIN)
    make_user(Role.ADMIN, "ex-admin@example.org", "Ex Admin", active=False)
    before = admin_state(admin)
    assert post(signed_in, f"{USERS}/{admin.id}/desactivar").status_code == 400
    response = post(
        signed_in, f"{USERS}/{admin.id}", {"name": admin.name, "role": "client", "language": "es"}
    )
    assert response.status_code == 400
    assert admin_state(admin) == before


def test_with_two_admins_one_may_step_down(signed_in, admin):
    second = make_user(Role.ADMIN, "second@example.org", "Segunda Admin")
    response = post(
        signed_in,
        f"{USERS}/{second.id}",
        {"name": second.name, "role": "collaborator", "language": "es"},
    )
    assert response.status_code == 302
    assert fresh(second).role == Role.COLLABORATOR
    # Now admin is the last one again.
    assert post(signed_in, f"{USERS}/{admin.id}/desactivar").status_code == 400
    assert fresh(admin).active is True
    # With a second admin back, the first may demote themselves and loses the pages.
    make_user(Role.ADMIN, "third@example.org", "Tercera Admin")
    response = post(
        signed_in,
        f"{USERS}/{admin.id}",
        {"name": admin.name, "role": "collaborator", "language": "es"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert fresh(admin).role == Role.COLLABORATOR
    assert signed_in.get(USERS).status_code == 403


def test_an_admin_may_deactivate_another_admin_but_not_the_last(signed_in, admin):
    second = make_user(Role.ADMIN, "second@example.org", "Segunda Admin")
    assert post(signed_in, f"{USERS}/{second.id}/desactivar").status_code == 302
    assert fresh(second).active is False
    assert post(signed_in, f"{USERS}/{admin.id}/desactivar").status_code == 400


# ---------------------------------------------------------------- escaping


def test_user_names_are_escaped(signed_in, collaborator):
    payload = "<script>alert(1)</script>"
    user = make_user(Role.COLLABORATOR, "xss@example.org", payload)
    area = db.session.scalar(select(Area).where(Area.name == "Seguridad"))
    for path in (
        USERS,
        f"{USERS}?q=script",
        f"{USERS}/{user.id}",
        f"/administracion/areas/{area.id}",
    ):
        page = signed_in.get(path).get_data(as_text=True)
        assert payload not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
