"""Resources as JSON: what each user may read of types, tickets, comments and files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_login import current_user

from ..catalog import display
from ..models import Attachment, Comment, Feedback, Ticket, TicketType, TicketTypeVersion, User
from ..sla.service import policy_name, state_of
from ..tickets import workflow
from ..tickets.history import Entry


def when(value: datetime | None) -> str | None:
    """An ISO 8601 timestamp in UTC."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def person(user: User | None) -> dict[str, Any] | None:
    """A user's id and name."""
    return {"id": user.id, "name": user.name} if user else None


def version(found: TicketTypeVersion) -> dict[str, Any]:
    """A form version: its JSON Schema and UI hints."""
    return {
        "number": found.number,
        "schema": found.schema,
        "ui": found.ui or {},
        "created_at": when(found.created_at),
    }


def ticket_type(found: TicketType, current: TicketTypeVersion | None) -> dict[str, Any]:
    """A ticket type with its current form."""
    return {
        "key": found.key,
        "name": found.name,
        "description": found.description or "",
        "active": found.active,
        "default_priority": found.default_priority,
        "current_version": version(current) if current else None,
    }


def _assignee(user: User | None) -> dict[str, Any] | None:
    """The owner, shown to the desk only (the client's portal does not name them)."""
    return person(user) if current_user.is_staff else None


def service_level(
    row: Any, name_of: Callable[[int], str | None], state: Callable[[], str]
) -> dict[str, Any] | None:
    """A ticket's service level for the desk; None for clients (targets are internal).

    The policy's name and the state are asked for only when they are shown.
    """
    if not current_user.is_staff:
        return None
    return {
        "policy": name_of(row.sla_version_id) if row.sla_version_id else None,
        "first_response_due": when(row.sla_response_due),
        "resolution_due": when(row.sla_resolution_due),
        "state": state(),
        "paused_since": when(row.sla_paused_at),
    }


def summary(row: Any, type_keys: dict[int, str], policies: dict[int, str]) -> dict[str, Any]:
    """A ticket line of a list (from the Tablero's column-only page query)."""
    return {
        "number": row.number,
        "subject": row.subject,
        "status": row.status,
        "priority": row.priority,
        "channel": row.channel,
        "type": type_keys.get(row.ticket_type_id, ""),
        "area": {"id": row.area_id, "name": row.area_name} if row.area_id else None,
        "requester": {"id": row.requester_id, "name": row.requester_name},
        "assignee": (
            {"id": row.assignee_id, "name": row.assignee_name}
            if row.assignee_id and current_user.is_staff
            else None
        ),
        "created_at": when(row.created_at),
        "updated_at": when(row.updated_at),
        "incomplete": bool(row.incomplete),
        "sla": service_level(row, policies.get, lambda: row.sla_state),
    }


def ticket(found: Ticket) -> dict[str, Any]:
    """A whole ticket: fields labelled by its own form version, dates, version."""
    locale = str(get_locale())
    allowed = sorted(workflow.TRANSITIONS.get(found.status, set())) if current_user.is_staff else []
    return {
        "number": found.number,
        "subject": found.subject,
        "description": found.description,
        "status": found.status,
        "priority": found.priority,
        "channel": found.channel,
        "type": found.ticket_type.key,
        "form_version": found.type_version.number,
        "data": found.data or {},
        "fields": [
            {"pointer": r.path, "label": r.label, "display": r.value}
            for r in display.rows(found, locale)
        ],
        "area": {"id": found.area.id, "name": found.area.name} if found.area else None,
        "requester": person(found.requester),
        "assignee": _assignee(found.assignee),
        "created_at": when(found.created_at),
        "updated_at": when(found.updated_at),
        "first_response_at": when(found.first_response_at),
        "resolved_at": when(found.resolved_at),
        "closed_at": when(found.closed_at),
        "version": found.version,
        "transitions": allowed,
        "incomplete": found.incomplete,
        "sla": service_level(found, policy_name, lambda: state_of(found)),
    }


def comment(found: Comment) -> dict[str, Any]:
    """A reply or (desk only) an internal note."""
    return {
        "id": found.id,
        "body": found.body,
        "internal": found.internal,
        "author": person(found.author),
        "created_at": when(found.created_at),
    }


def attachment(found: Attachment) -> dict[str, Any]:
    """A file's description and where to download it."""
    return {
        "id": found.id,
        "filename": found.filename,
        "content_type": found.content_type,
        "size": found.size,
        "sha256": found.sha256,
        "internal": found.internal,
        "comment_id": found.comment_id,
        "created_at": when(found.created_at),
        "download": url_for("api.download", attachment_id=found.id),
    }


def feedback(found: Feedback) -> dict[str, Any]:
    """A client's rating of one closure."""
    return {
        "rating": found.rating,
        "comment": found.comment,
        "closure": found.closure,
        "created_at": when(found.created_at),
        "updated_at": when(found.updated_at),
    }


def history_entry(entry: Entry) -> dict[str, Any]:
    """A timeline entry with its changes from → to, labelled in the reader's language."""
    return {
        "at": when(entry.at),
        "actor": entry.actor,
        "kind": entry.kind,
        "label": entry.label,
        "internal": entry.internal,
        "changes": [
            {"key": c.key, "label": c.label, "from": c.before, "to": c.after} for c in entry.changes
        ],
    }
