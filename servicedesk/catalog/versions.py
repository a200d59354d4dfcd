"""Publishing immutable form versions and explaining what a new version changes."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from forms_engine import CompiledForm, Field, SchemaError, compile_form

from ..extensions import db
from ..models import Ticket, TicketType, TicketTypeVersion, User

EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass
class Change:
    """One difference between two versions of a form."""

    kind: str  # added | removed | retyped | options_removed | newly_required
    path: str
    label: str
    detail: str = ""
    tickets: int = 0

    @property
    def breaking(self) -> bool:
        """Tell whether existing answers are touched by this change."""
        return self.kind != "added"


def filing_type() -> Select[TicketType]:
    """A query for ticket types that loads each one's current version in the same statement.

    The default area comes along too: the new ticket's area, which the API's answer shows.
    """
    return select(TicketType).options(
        joinedload(TicketType.current), joinedload(TicketType.default_area)
    )


def filable_types() -> list[TicketType]:
    """The types a ticket can be filed under now (active, with a published form), by name."""
    return list(
        db.session.scalars(
            select(TicketType)
            .where(TicketType.active.is_(True), TicketType.current_version > 0)
            .order_by(TicketType.name)
        )
    )


def filable_type(key: object) -> TicketType | None:
    """The type named by key if a ticket can be filed under it now, with its current form."""
    if not isinstance(key, str):
        return None
    found = db.session.scalar(filing_type().where(TicketType.key == key))
    if found is None or not found.active or found.current_version < 1:
        return None
    return found


def current_version(ticket_type: TicketType) -> TicketTypeVersion | None:
    """Return the version new tickets of this type are filed under."""
    joined = ticket_type.__dict__.get("current")  # loaded by filing_type()
    if (
        joined is not None
        and joined.ticket_type_id == ticket_type.id
        and joined.number == ticket_type.current_version
    ):
        return joined
    return db.session.scalar(
        select(TicketTypeVersion).where(
            TicketTypeVersion.ticket_type_id == ticket_type.id,
            TicketTypeVersion.number == ticket_type.current_version,
        )
    )


# Version row id -> (schema, hints, compiled form). The engine's own cache keys on a hash of
# the checked, canonical JSON, which costs more than the rest of a ticket's display; a
# published version never changes (no code updates one), so its id finds its form. The
# stored copy of the JSON is still compared (a dict ==, microseconds), because an id alone
# may name another form in another database or after a type was deleted and its id reused.
_BY_ID: dict[int, tuple[Any, Any, CompiledForm]] = {}
_BY_ID_SIZE = 512


def compiled(version: TicketTypeVersion) -> CompiledForm:
    """Compile a stored version, once per process (cached on its id and checked content)."""
    ui = version.ui or None
    hit = _BY_ID.get(version.id) if version.id is not None else None
    if hit is not None and hit[0] == version.schema and hit[1] == ui:
        return hit[2]
    form = compile_form(version.schema, ui)
    if version.id is not None:
        if len(_BY_ID) >= _BY_ID_SIZE:
            _BY_ID.clear()
        _BY_ID[version.id] = (copy.deepcopy(version.schema), copy.deepcopy(ui), form)
    return form


def same_form(
    version: TicketTypeVersion | None, schema: dict[str, Any], ui: dict[str, Any]
) -> bool:
    """Tell whether a schema and hints equal a stored version's."""
    if version is None:
        return False
    canon = lambda value: json.dumps(value or {}, sort_keys=True)  # noqa: E731
    return canon(version.schema) == canon(schema) and canon(version.ui) == canon(ui)


def publish(
    ticket_type: TicketType, schema: dict[str, Any], ui: dict[str, Any], author: User | None
) -> TicketTypeVersion:
    """Check and store a new immutable version; make it current. Raises SchemaError."""
    compile_form(schema, ui or None)
    number = ticket_type.current_version + 1
    version = TicketTypeVersion(
        ticket_type=ticket_type, number=number, schema=schema, ui=ui or {}, created_by=author
    )
    db.session.add(version)
    ticket_type.current_version = number
    db.session.flush()
    return version


def _by_path(form: CompiledForm) -> dict[str, Field]:
    """Index a form's described fields by pointer."""
    return {f.path: f for f in form.describe()}


def diff(old: CompiledForm | None, new: CompiledForm, locale: str = "es") -> list[Change]:
    """List what changes from old to new: added, removed, retyped, options removed, required."""
    before = _by_path(old) if old else {}
    after = _by_path(new)
    changes: list[Change] = []
    for path, field in after.items():
        prior = before.get(path)
        label = field.label(locale)
        if prior is None:
            changes.append(Change("added", path, label))
            continue
        if (prior.type, prior.format) != (field.type, field.format):
            changes.append(
                Change(
                    "retyped",
                    path,
                    label,
                    f"{prior.type}/{prior.format or '-'} → {field.type}/{field.format or '-'}",
                )
            )
        gone = [v for v, _l in prior.options if v not in {v2 for v2, _l2 in field.options}]
        if gone and prior.options:
            changes.append(Change("options_removed", path, label, ", ".join(str(v) for v in gone)))
        if field.required and not prior.required:
            changes.append(Change("newly_required", path, label))
    for path, field in before.items():
        if path not in after:
            changes.append(Change("removed", path, field.label(locale)))
    return changes


def _value_at(data: Any, path: str) -> list[Any]:
    """Collect the values stored at a pointer; "*" walks every item of a list."""
    nodes = [data]
    for part in path.strip("/").split("/"):
        step: list[Any] = []
        for node in nodes:
            if part == "*" and isinstance(node, list):
                step.extend(node)
            elif isinstance(node, dict) and part in node:
                step.append(node[part])
        nodes = step
    return nodes


def _touches(change: Change, data: dict[str, Any], removed_options: set[str]) -> bool:
    """Tell whether one ticket's answers are affected by a change."""
    values = _value_at(data, change.path)
    if change.kind == "newly_required":
        return not values
    if change.kind == "options_removed":
        flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
        return any(str(v) in removed_options for v in flat)
    return bool(values)


def count_impact(ticket_type: TicketType, changes: list[Change]) -> None:
    """Fill each breaking change with how many existing tickets it touches (one pass)."""
    breaking = [c for c in changes if c.breaking]
    if not breaking:
        return
    options = {id(c): set(c.detail.split(", ")) for c in breaking if c.kind == "options_removed"}
    rows = db.session.execute(
        select(Ticket.data)
        .where(Ticket.ticket_type_id == ticket_type.id)
        .execution_options(yield_per=2000)
    )
    for (data,) in rows:
        for change in breaking:
            if _touches(change, data or {}, options.get(id(change), set())):
                change.tickets += 1


def review(
    ticket_type: TicketType, schema: dict[str, Any], ui: dict[str, Any], locale: str
) -> tuple[CompiledForm, list[Change]]:
    """Compile a candidate form and describe what publishing it would change."""
    candidate = compile_form(schema, ui or None)
    current = current_version(ticket_type)
    changes = diff(compiled(current) if current else None, candidate, locale)
    count_impact(ticket_type, changes)
    return candidate, changes


__all__ = [
    "EMPTY_SCHEMA",
    "Change",
    "SchemaError",
    "compiled",
    "count_impact",
    "current_version",
    "filing_type",
    "diff",
    "publish",
    "review",
    "same_form",
]
