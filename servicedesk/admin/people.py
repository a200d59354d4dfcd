"""People and areas: the rules behind Administración → Service Desk.

Functions take explicit arguments, enforce the rules, flush but never commit, and raise
PeopleError (a translatable message, optionally tied to a form field) when a rule says no.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..auth.service import invite_user, send_invitation
from ..emails import is_email, normalise_email
from ..extensions import db
from ..models import Area, AuthToken, Role, SlaCalendar, User, area_members, utcnow
from ..models.users import new_session_token
from ..numbers import row_id, whole_number

PAGE_SIZE = 50
ROLES = Role.values()
STATES = ("active", "invited", "inactive")
LANGUAGES = ("es", "en")
MAX_SEARCH = 100
MAX_PAGE = 1_000_000


class PeopleError(Exception):
    """A rule refused the change; message is translatable, field names the form field."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


# ---------------------------------------------------------------- areas


def list_areas() -> list[tuple[Area, int]]:
    """Return every area with its member count, by name, in one query."""
    count = func.count(area_members.c.user_id)
    rows = db.session.execute(
        select(Area, count)
        .outerjoin(area_members, area_members.c.area_id == Area.id)
        .group_by(Area.id)
        .order_by(Area.name, Area.id)
    ).all()
    return [(area, int(n)) for area, n in rows]


def all_areas() -> list[Area]:
    """Return every area by name (filters and choices)."""
    return list(db.session.scalars(select(Area).order_by(Area.name, Area.id)))


def routable_areas() -> list[Area]:
    """Return the areas new tickets may be routed to: the active ones."""
    return list(db.session.scalars(select(Area).where(Area.active).order_by(Area.name)))


def _clean_area_name(name: str) -> str:
    """Strip the name and refuse an empty one."""
    name = " ".join((name or "").split())
    if not name:
        raise PeopleError(_l("Enter a name."), "name")
    return name


def _area_name_taken(name: str, exclude_id: int | None = None) -> bool:
    """Tell whether another area already has this name, ignoring case."""
    query = select(Area.id).where(func.lower(Area.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Area.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def _duplicate_area() -> PeopleError:
    return PeopleError(_l("An area with this name already exists."), "name")


def _flush_area(area: Area) -> None:
    """Flush; a duplicate that slipped past the check (a race) becomes a field error."""
    try:
        # A savepoint: a refused INSERT undoes only itself, not the caller's transaction.
        with db.session.begin_nested():
            db.session.add(area)
    except IntegrityError as exc:
        raise _duplicate_area() from exc


def create_area(name: str) -> Area:
    """Create an active area with a unique name."""
    name = _clean_area_name(name)
    if _area_name_taken(name):
        raise _duplicate_area()
    area = Area(name=name, active=True)
    _flush_area(area)
    return area


def rename_area(area: Area, name: str) -> None:
    """Give an area a new unique name."""
    name = _clean_area_name(name)
    if _area_name_taken(name, exclude_id=area.id):
        raise _duplicate_area()
    area.name = name
    _flush_area(area)


def set_area_active(area: Area, active: bool) -> None:
    """Deactivate or reactivate an area; its tickets and members stay."""
    area.active = active
    db.session.flush()


def staff_users() -> list[User]:
    """Return the users who may belong to an area: collaborators and administrators."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([Role.ADMIN, Role.COLLABORATOR]))
            .order_by(User.name, User.id)
        )
    )


def set_area_members(area: Area, user_ids: Iterable[int]) -> None:
    """Make exactly these staff users the members of an area; clients are refused."""
    wanted = set(user_ids)
    users = list(db.session.scalars(select(User).where(User.id.in_(wanted)))) if wanted else []
    if len(users) != len(wanted):
        raise PeopleError(_l("Choose people from the list."), "members")
    if any(not user.is_staff for user in users):
        raise PeopleError(_l("Clients cannot be members of an area."), "members")
    area.members = sorted(users, key=lambda u: (u.name, u.id))
    db.session.flush()


def area_supervisors(area: Area) -> list[int]:
    """The ids of the area's supervisors (told when one of its tickets misses a target)."""
    return list(
        db.session.scalars(
            select(area_members.c.user_id).where(
                area_members.c.area_id == area.id, area_members.c.supervisor.is_(True)
            )
        )
    )


def set_area_supervisors(area: Area, user_ids: Iterable[int]) -> None:
    """Make exactly these members the area's supervisors; non-members are refused."""
    wanted = set(user_ids)
    members = {user.id for user in area.members}
    if not wanted <= members:
        raise PeopleError(_l("Supervisors must be members of the area."), "supervisors")
    db.session.execute(
        update(area_members)
        .where(area_members.c.area_id == area.id)
        .values(supervisor=area_members.c.user_id.in_(wanted) if wanted else False)
    )
    db.session.flush()


def set_area_calendar(area: Area, raw: str) -> None:
    """Give an area a calendar of its own, or "" for the organisation's default."""
    calendar_id = row_id(raw) if raw else None
    if raw and (calendar_id is None or db.session.get(SlaCalendar, calendar_id) is None):
        raise PeopleError(_l("Choose a calendar from the list."), "calendar")
    area.calendar_id = calendar_id
    db.session.flush()


def calendar_names() -> dict[int, str]:
    """Every calendar's name by id (the areas' choices and list)."""
    return dict(
        db.session.execute(
            select(SlaCalendar.id, SlaCalendar.name).order_by(SlaCalendar.name)
        ).all()
    )


# ---------------------------------------------------------------- listing users


@dataclass(frozen=True)
class UserFilters:
    """The allow-listed filters of the users list, read from the query string."""

    role: str | None = None
    area: int | None = None
    state: str | None = None
    q: str = ""
    page: int = 1

    def args(self, page: int | None = None) -> dict[str, Any]:
        """Return the query-string arguments for these filters (and a page)."""
        out: dict[str, Any] = {
            "role": self.role,
            "area": self.area,
            "state": self.state,
            "q": self.q or None,
            "page": page,
        }
        return {key: value for key, value in out.items() if value is not None}


def parse_filters(args: Mapping[str, str]) -> UserFilters:
    """Read the filters; unknown or malformed values are ignored."""
    role = args.get("role")
    state = args.get("state")
    q = " ".join((args.get("q") or "").split())[:MAX_SEARCH]
    return UserFilters(
        role=role if role in ROLES else None,
        area=row_id(args.get("area")),
        state=state if state in STATES else None,
        q=q,
        page=whole_number(args.get("page"), MAX_PAGE) or 1,
    )


@dataclass
class UserPage:
    """One page of the users list."""

    users: list[User]
    total: int
    page: int
    pages: int


def _escape_like(text: str) -> str:
    """Escape LIKE wildcards so a search means what was typed."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: Select[Any], filters: UserFilters) -> Select[Any]:
    """Apply the filters to a query over users."""
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.area:
        query = query.where(User.areas.any(Area.id == filters.area))
    if filters.state == "inactive":
        query = query.where(User.active.is_(False))
    elif filters.state == "invited":
        query = query.where(User.active.is_(True), User.password_hash.is_(None))
    elif filters.state == "active":
        query = query.where(User.active.is_(True), User.password_hash.is_not(None))
    if filters.q:
        pattern = f"%{_escape_like(filters.q.lower())}%"
        query = query.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    return query


def list_users(filters: UserFilters, page_size: int = PAGE_SIZE) -> UserPage:
    """Return one page of users: a count, the page and its areas; three queries."""
    total = db.session.scalar(_filtered(select(func.count(User.id)), filters)) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(filters.page, pages)
    users = db.session.scalars(
        _filtered(select(User), filters)
        .options(selectinload(User.areas))
        .order_by(User.name, User.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return UserPage(users=list(users), total=total, page=page, pages=pages)


# ---------------------------------------------------------------- changing users


def _can_log_in_admin(user: User) -> bool:
    """An active administrator: role admin, active, and a password set."""
    return user.role == Role.ADMIN and user.active and user.password_hash is not None


def _other_active_admins(user: User) -> int:
    """Count the other active administrators, locking their rows where the database can."""
    ids = db.session.scalars(
        select(User.id)
        .where(
            User.role == Role.ADMIN,
            User.active.is_(True),
            User.password_hash.is_not(None),
            User.id != user.id,
        )
        .with_for_update()
    ).all()
    return len(ids)


def _refuse_losing_last_admin(user: User, message: Any, field: str | None) -> None:
    """Refuse a change that would leave no active administrator."""
    if _can_log_in_admin(user) and _other_active_admins(user) == 0:
        raise PeopleError(message, field)


def invite(inviter: User, *, name: str, email: str, role: str, language: str) -> User:
    """Create an account and queue its invitation; the e-mail must be new."""
    email = normalise_email(email)
    if not is_email(email):
        raise PeopleError(_l("Enter a valid e-mail address."), "email")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise PeopleError(_l("A user with this e-mail already exists."), "email")
    return invite_user(inviter, name=name, email=email, role=Role(role), language=language).user


def update_user(
    user: User, *, name: str, role: str, language: str, area_ids: Iterable[int]
) -> None:
    """Change a user's name, role, language and areas, all checked before any change."""
    name = " ".join((name or "").split())
    if not name:
        raise PeopleError(_l("Enter a name."), "name")
    if role not in ROLES:
        raise PeopleError(_l("Choose a role from the list."), "role")
    if language not in LANGUAGES:
        raise PeopleError(_l("Choose a language from the list."), "language")
    wanted = set(area_ids)
    areas = list(db.session.scalars(select(Area).where(Area.id.in_(wanted)))) if wanted else []
    if len(areas) != len(wanted):
        raise PeopleError(_l("Choose areas from the list."), "areas")
    if areas and role == Role.CLIENT:
        raise PeopleError(_l("Clients cannot be members of an area."), "areas")
    if role != Role.ADMIN:
        _refuse_losing_last_admin(
            user, _l("The last active administrator cannot stop being an administrator."), "role"
        )
    user.name = name
    user.role = role
    user.language = language
    user.areas = sorted(areas, key=lambda a: (a.name, a.id))
    db.session.flush()


def deactivate_user(user: User) -> None:
    """Deactivate a user: their sessions end and their pending links stop working."""
    _refuse_losing_last_admin(
        user, _l("The last active administrator cannot be deactivated."), None
    )
    user.active = False
    user.session_token = new_session_token()
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.flush()


def reactivate_user(user: User) -> None:
    """Let a deactivated user log in again."""
    user.active = True
    db.session.flush()


def resend_invitation(inviter: User, user: User) -> str:
    """Mail a fresh invitation to a user who never set a password; older links die."""
    if user.password_hash is not None:
        raise PeopleError(_l("This user has already accepted the invitation."))
    if not user.active:
        raise PeopleError(_l("Reactivate this user before sending a new invitation."))
    raw = send_invitation(inviter, user)
    db.session.flush()
    return raw
