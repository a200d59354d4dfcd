"""Errors as application/problem+json (RFC 9457), in the user's language."""

from __future__ import annotations

from typing import Any

from flask import Response, json
from flask_babel import gettext as _
from werkzeug.http import HTTP_STATUS_CODES

from ..errors import MESSAGES

API_MESSAGES = {
    401: "Send a valid API token: Authorization: Bearer <token>.",
    406: "This API answers in JSON.",
    409: "Someone else changed this ticket first.",
    412: "The ticket changed since you read it; read it again and retry.",
    415: "Send the body as application/json.",
    422: "Some values are not valid.",
    428: "Send If-Match with the ticket's ETag to change it.",
    429: "Too many requests for this token. Wait and try again.",
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


def _mark() -> None:
    """List the messages above for the translation catalogue."""
    _("Send a valid API token: Authorization: Bearer <token>.")
    _("This API answers in JSON.")
    _("Someone else changed this ticket first.")
    _("The ticket changed since you read it; read it again and retry.")
    _("Send the body as application/json.")
    _("Some values are not valid.")
    _("Send If-Match with the ticket's ETag to change it.")
    _("Too many requests for this token. Wait and try again.")
