"""Role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def role_required(check: Callable[[Any], bool], refusal: int = 403) -> Callable[[F], F]:
    """Require a logged-in user for whom check(user) holds, else refuse (403 or 404)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not check(current_user):
                abort(refusal)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


staff_required = role_required(lambda user: user.is_staff)
# Ticket pages of the desk answer 404 to clients, as any ticket they may not see does.
staff_ticket_required = role_required(lambda user: user.is_staff, refusal=404)
admin_required = role_required(lambda user: user.is_admin)
client_required = role_required(lambda user: user.is_client)
