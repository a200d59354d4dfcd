"""Show a ticket's custom fields with the labels of the form version it was filed under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from forms_engine import CompiledForm, Field

from ..extensions import db
from ..i18n import date_text
from ..models import Attachment, Ticket
from .versions import compiled


@dataclass
class Row:
    """One label and its value as text."""

    path: str
    label: str
    value: str


def _text(field: Field, value: Any, locale: str, files: _FileNames) -> str:
    """Format one stored value for people."""
    if field.type == "file":
        names = files.get() if value else {}
        return ", ".join(names.get(str(ref), str(ref)) for ref in value or [])
    labels = dict(field.option_labels(locale))
    if isinstance(value, list):
        return ", ".join(str(labels.get(v, v)) for v in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and field.format in ("date", "date-time"):
        return date_text(value, locale, with_time=field.format == "date-time")
    return str(labels.get(value, value))


def value_text(field: Field, value: Any, locale: str) -> str:
    """One answer as people read it (option labels, yes/no), without the file names."""
    if value is None:
        return "—"
    if field.type == "file":
        return ", ".join(str(ref) for ref in value or [])
    return _text(field, value, locale, _NoFiles())


def _lookup(data: Any, path: str) -> tuple[bool, Any]:
    """Find a value at a pointer without "*" segments."""
    node = data
    for part in path.strip("/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def rows(ticket: Ticket, locale: str) -> list[Row]:
    """Return the ticket's answered fields in form order."""
    form: CompiledForm = compiled(ticket.type_version)
    fields = form.describe()
    files = _FileNames(ticket)
    result = []
    for field in fields:
        if "*" in field.path or field.type == "object" or _is_repeat(field):
            continue
        found, value = _lookup(ticket.data, field.path)
        if found:
            result.append(Row(field.path, field.label(locale), _text(field, value, locale, files)))
    result.extend(_repeated(ticket, fields, locale, files))
    return result


def _is_repeat(field: Field) -> bool:
    """Tell whether a field is a repeatable group (a list of objects)."""
    return field.type == "array" and field.widget == "group"


def _repeated(ticket: Ticket, fields: list[Field], locale: str, files: _FileNames) -> list[Row]:
    """Flatten repeatable groups into one row per item."""
    groups = [f for f in fields if _is_repeat(f)]
    result = []
    for group in groups:
        found, items = _lookup(ticket.data, group.path)
        if not found or not isinstance(items, list):
            continue
        children = [f for f in fields if f.path.startswith(group.path + "/*/")]
        for index, item in enumerate(items, start=1):
            parts = []
            for child in children:
                key = child.path.rsplit("/", 1)[1]
                if isinstance(item, dict) and key in item:
                    parts.append(f"{child.label(locale)}: {_text(child, item[key], locale, files)}")
            result.append(
                Row(f"{group.path}/{index}", f"{group.label(locale)} {index}", "; ".join(parts))
            )
    return result


class _FileNames:
    """The ticket's attachment names, read only once a file field with a value needs them.

    Most tickets answer no file field: their fields (shown on every filing's notice and
    API answer) are then displayed without a query.
    """

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self.names: dict[str, str] | None = None

    def get(self) -> dict[str, str]:
        """Map attachment ids (as stored in the data) to file names."""
        if self.names is None:
            query = select(Attachment.id, Attachment.filename).where(
                Attachment.ticket_id == self.ticket.id
            )
            self.names = {str(i): name for i, name in db.session.execute(query)}
        return self.names


class _NoFiles(_FileNames):
    """No attachment names, and no query: for values that are never files."""

    def __init__(self) -> None:
        self.names = {}
