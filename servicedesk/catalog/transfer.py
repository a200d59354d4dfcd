"""Export a ticket type as one JSON document and import it elsewhere, identically."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from forms_engine import Problem, SchemaError, compile_form

from .. import json_text
from ..extensions import db
from ..models import PRIORITIES, Area, Priority, TicketType, User
from .builder import KEY_RE
from .versions import current_version, publish, same_form

FORMAT = "servicedesk.ticket-type/1"
MAX_DOCUMENT = 512 * 1024
META_FIELDS = {
    "name": str,
    "description": str,
    "default_priority": str,
    "color": str,
    "icon": str,
    "active": bool,
}


class ImportError_(ValueError):
    """The document cannot be imported; problems carry JSON Pointers into it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.pointer}: {p.message}" for p in problems))
        self.problems = problems


def export_type(ticket_type: TicketType) -> dict[str, Any]:
    """Return the type's metadata and current form as one document."""
    version = current_version(ticket_type)
    return {
        "format": FORMAT,
        "key": ticket_type.key,
        "name": ticket_type.name,
        "description": ticket_type.description,
        "active": ticket_type.active,
        "default_area": ticket_type.default_area.name if ticket_type.default_area else None,
        "default_priority": ticket_type.default_priority,
        "color": ticket_type.color,
        "icon": ticket_type.icon,
        "version": version.number if version else 0,
        "schema": version.schema if version else {},
        "ui": version.ui if version else {},
    }


def parse_document(raw: bytes | str) -> dict[str, Any]:
    """Decode and check an import document's envelope; raise ImportError_."""
    if len(raw) > MAX_DOCUMENT:
        raise ImportError_(
            [Problem("", _("the document is larger than %(max)d bytes", max=MAX_DOCUMENT))]
        )
    try:
        doc = json_text.loads(raw)
    except json_text.JSONTextError as exc:
        raise ImportError_([Problem("", str(exc.message))]) from exc
    if not isinstance(doc, dict):
        raise ImportError_([Problem("", _("the document must be a JSON object"))])
    problems = _envelope_problems(doc)
    if problems:
        raise ImportError_(problems)
    return doc


def _envelope_problems(doc: dict[str, Any]) -> list[Problem]:
    """List problems with the document's metadata fields."""
    problems = []
    if doc.get("format") != FORMAT:
        problems.append(Problem("/format", _('must be "%(format)s"', format=FORMAT)))
    if not isinstance(doc.get("key"), str) or not KEY_RE.match(doc["key"]):
        problems.append(Problem("/key", _("must be lowercase letters, digits and _")))
    for name, kind in META_FIELDS.items():
        if name in doc and not isinstance(doc[name], kind):
            problems.append(Problem(f"/{name}", _("must be of type %(type)s", type=kind.__name__)))
    if not isinstance(doc.get("name"), str) or not doc["name"].strip():
        problems.append(Problem("/name", _("is required")))
    if doc.get("default_priority", Priority.NORMAL) not in PRIORITIES:
        problems.append(
            Problem(
                "/default_priority", _("must be one of %(values)s", values=", ".join(PRIORITIES))
            )
        )
    if not isinstance(doc.get("schema"), dict):
        problems.append(Problem("/schema", _("must be a JSON object")))
    if not isinstance(doc.get("ui", {}), dict):
        problems.append(Problem("/ui", _("must be a JSON object")))
    return problems


def import_type(doc: dict[str, Any], author: User | None) -> tuple[TicketType, bool]:
    """Create or update a type from a checked document; return it and whether it is new.

    A document without a form (`"schema": {}`, what a draft exports) brings the metadata
    only: a new type stays a draft, an existing one keeps its versions.
    """
    schema, ui = doc["schema"], doc.get("ui") or {}
    try:
        if schema or ui:
            compile_form(schema, ui or None)
    except SchemaError as exc:
        raise ImportError_(
            [
                Problem(
                    "/schema" + p.pointer if not p.pointer.startswith("/ui") else p.pointer,
                    p.message,
                )
                for p in exc.localized(str(get_locale()))
            ]
        ) from exc
    ticket_type = db.session.scalar(select(TicketType).where(TicketType.key == doc["key"]))
    created = ticket_type is None
    if ticket_type is None:
        ticket_type = TicketType(key=doc["key"], current_version=0)
        db.session.add(ticket_type)
    for name in META_FIELDS:
        if name in doc:
            setattr(ticket_type, name, doc[name])
    ticket_type.name = doc["name"].strip()
    area_name = doc.get("default_area")
    ticket_type.default_area = (
        db.session.scalar(select(Area).where(Area.name == area_name)) if area_name else None
    )
    db.session.flush()
    if (schema or ui) and not same_form(current_version(ticket_type), schema, ui):
        publish(ticket_type, schema, ui, author)
    return ticket_type, created
