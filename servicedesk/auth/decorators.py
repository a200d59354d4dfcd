"""Role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def role_required(check: Callable[[Any], bool]) -> Callable[[F], F]:
    """Require a logged-in user for whom check(user) holds, else 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


staff_required = role_required(lambda user: user.is_staff)
admin_required = role_required(lambda user: user.is_admin)
client_required = role_required(lambda user: user.is_client)
