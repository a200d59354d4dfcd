"""API routes: the current user, ticket types and the OpenAPI document."""

from __future__ import annotations

from flask import Response, jsonify, render_template
from flask_login import current_user
from sqlalchemy import select

from ..catalog.versions import current_version, filable_types
from ..extensions import db
from ..models import TicketType, TicketTypeVersion
from . import bp, serialize
from .problems import ApiError
from .schemas import ref
from .spec import document, operation


@operation(
    bp,
    "GET",
    "/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    tag="meta",
    public=True,
    responses={"200": ("The document", {"type": "object"})},
)
def openapi() -> Response:
    """Serve the OpenAPI document, generated from the registered routes."""
    return jsonify(document())


@bp.get("/docs")
def reference() -> str:
    """A readable reference of the API, rendered from the same document."""
    return render_template("api/reference.html", spec=document())


@operation(
    bp,
    "GET",
    "/me",
    summary="The user the token acts as",
    tag="users",
    responses={"200": ("The user", ref("Me"))},
)
def me() -> Response:
    """Who am I: name, role, language and areas."""
    user = current_user
    return jsonify(
        {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "language": user.language,
            "areas": [{"id": a.id, "name": a.name} for a in user.areas],
        }
    )


@operation(
    bp,
    "GET",
    "/ticket-types",
    summary="Ticket types that take new tickets, with their current form",
    tag="ticket types",
    responses={"200": ("The types", ref("TicketTypeList"))},
)
def ticket_types() -> Response:
    """List the types tickets can be filed under, each with its current schema and UI hints.

    Drafts (no published form yet) are left out, as on the portal's "Agregar petición".
    """
    types = filable_types()
    current = {
        v.ticket_type_id: v
        for v in db.session.scalars(
            select(TicketTypeVersion)
            .join(TicketType, TicketType.id == TicketTypeVersion.ticket_type_id)
            .where(
                TicketType.active.is_(True), TicketTypeVersion.number == TicketType.current_version
            )
        )
    }
    return jsonify({"items": [serialize.ticket_type(t, current.get(t.id)) for t in types]})


def type_or_404(key: str) -> TicketType:
    """A type clients may use (active and published), or any type for the desk; else 404."""
    found = db.session.scalar(select(TicketType).where(TicketType.key == key))
    if found is None or (
        not current_user.is_staff and (not found.active or found.current_version < 1)
    ):
        raise ApiError(404)
    return found


@operation(
    bp,
    "GET",
    "/ticket-types/<key>",
    summary="One ticket type",
    tag="ticket types",
    responses={"200": ("The type", ref("TicketType"))},
)
def ticket_type(key: str) -> Response:
    """One type with its current form."""
    found = type_or_404(key)
    return jsonify(serialize.ticket_type(found, current_version(found)))


@operation(
    bp,
    "GET",
    "/ticket-types/<key>/versions/<int:number>",
    summary="Any version of a type's form (tickets keep the version they were filed under)",
    tag="ticket types",
    responses={"200": ("The version", ref("FormVersion"))},
)
def ticket_type_version(key: str, number: int) -> Response:
    """One version of a type's form, by number."""
    found = type_or_404(key)
    version = db.session.scalar(
        select(TicketTypeVersion).where(
            TicketTypeVersion.ticket_type_id == found.id, TicketTypeVersion.number == number
        )
    )
    if version is None:
        raise ApiError(404)
    return jsonify(serialize.version(version))


from . import sla, tickets  # noqa: E402, F401 - more routes register on the same blueprint
