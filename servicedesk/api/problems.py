"""Errors as application/problem+json (RFC 9457), in the user's language."""

from __future__ import annotations

from typing import Any

from flask import Response, json
from flask_babel import gettext as _
from werkzeug.http import HTTP_STATUS_CODES

from ..errors import MESSAGES
from ..vocabulary import N_

API_MESSAGES = {
    401: N_("Send a valid API token: Authorization: Bearer <token>."),
    406: N_("This API answers in JSON."),
    409: N_("Someone else changed this ticket first."),
    412: N_("The ticket changed since you read it; read it again and retry."),
    415: N_("Send the body as application/json."),
    422: N_("Some values are not valid."),
    428: N_("Send If-Match with the ticket's ETag to change it."),
    429: N_("Too many requests for this token. Wait and try again."),
}


class ApiError(Exception):
    """An API failure with its status, message and per-pointer errors."""

    def __init__(
        self,
        status: int,
        detail: Any = None,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(str(detail or status))
        self.status, self.detail, self.errors = status, detail, errors or {}
        self.headers = headers or {}


def default_detail(status: int) -> str:
    """The translated standard message for a status."""
    text = API_MESSAGES.get(status) or MESSAGES.get(status) or MESSAGES[500]
    return _(text)


def problem(
    status: int,
    detail: Any = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem response; errors map JSON pointers to messages."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": str(detail) if detail else default_detail(status),
    }
    if errors:
        body["errors"] = [
            {"pointer": pointer, "detail": str(message)}
            for pointer, messages in errors.items()
            for message in messages
        ]
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_error(exc: ApiError) -> Response:
    """Turn an ApiError into its problem response."""
    return problem(exc.status, exc.detail, exc.errors, exc.headers)
