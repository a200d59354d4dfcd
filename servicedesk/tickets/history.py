"""A ticket's timeline as people read it: who did what and when, and what changed from → to.

One reading for the desk's ticket page, the PDF record and the API. Events store values
(status and priority values, area and user ids, custom-field answers); names and labels are
resolved here in the reader's language, with one query for all the names a page needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from forms_engine import Field

from ..catalog.display import value_text
from ..catalog.versions import compiled
from ..extensions import db
from ..models import Area, Ticket, TicketEvent, User
from ..vocabulary import Channel, EventKind, Priority, Status
from .loading import timeline


@dataclass(frozen=True)
class Change:
    """One thing that changed: what (its key and label), from and to, as text."""

    key: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    """One timeline entry: when, who, what kind (and its label), and what changed."""

    at: datetime
    actor: str
    kind: str
    label: str
    internal: bool
    changes: list[Change] = field(default_factory=list)


def entries(ticket: Ticket, reader: User, locale: str) -> list[Entry]:
    """The ticket's timeline for this reader (clients: not the desk's internal entries)."""
    events = [e for e in timeline(ticket) if reader.is_staff or not e.internal]
    names = _Names.of(events)
    fields = _Fields(ticket, locale)
    dues = _Dues()
    return [
        Entry(
            at=event.created_at,
            actor=event.actor.name if event.actor else "—",
            kind=event.kind,
            label=_sla_label(event)
            if event.kind == EventKind.SLA
            else str(EventKind.label_of(event.kind)),
            internal=event.internal,
            changes=dues.changes(event)
            if event.kind == EventKind.SLA
            else _changes(event, names, fields),
        )
        for event in events
    ]


def _late(event: TicketEvent, key: str) -> bool:
    """Whether a clock was met after its due (the event records the due it had)."""
    due = (event.data or {}).get(key)
    return isinstance(due, str) and event.created_at > datetime.fromisoformat(due)


def _sla_label(event: TicketEvent) -> str:
    """A service-level event as a sentence: what happened to the clocks."""
    data = event.data or {}
    change, policy = data.get("change"), data.get("policy") or _("none")
    clock_name = _("first response") if data.get("clock") == "response" else _("resolution")
    if change == "responded":
        late = _late(event, "response_due")
        return _("First response missed") if late else _("First response met")
    if change == "resolved":
        late = _late(event, "resolution_due")
        return _("Resolution missed") if late else _("Resolution met")
    if change == "retargeted":
        return {
            "area": _("Re-targeted after an area change: policy %(policy)s", policy=policy),
            "priority": _("Re-targeted after a priority change: policy %(policy)s", policy=policy),
        }.get(data.get("reason", ""), _("Re-targeted: policy %(policy)s", policy=policy))
    sentences = {
        "targeted": lambda: _("Targets set: policy %(policy)s", policy=policy),
        "paused": lambda: _("Clock paused (waiting on the client)"),
        "resumed": lambda: _("Clock resumed"),
        "reopened": lambda: _("Reopened: a new resolution period"),
        "warning": lambda: _("Warning sent: %(clock)s at risk", clock=clock_name),
        "breach": lambda: _("Target missed: %(clock)s overdue", clock=clock_name),
    }
    sentence = sentences.get(change or "")
    return sentence() if sentence else str(EventKind.SLA.label)


class _Dues:
    """The dues each service-level event set, shown from → to against the one before."""

    KEYS = ("response_due", "resolution_due")

    def __init__(self) -> None:
        self.last: dict[str, str | None] = {}

    def changes(self, event: TicketEvent) -> list[Change]:
        """The dues this event moved (in the reader's zone)."""
        data, found = event.data or {}, []
        labels = {"response_due": _("First response due"), "resolution_due": _("Resolution due")}
        for key in self.KEYS:
            if key not in data:
                continue
            before, after = self.last.get(key), data[key]
            self.last[key] = after
            if after != before and after is not None:
                found.append(Change(key, labels[key], _when(before), _when(after)))
        return found


def _when(value: str | None) -> str:
    """A stored ISO instant in the reader's zone (a dash for none)."""
    return "—" if not value else format_datetime(datetime.fromisoformat(value), "short")


def _changes(event: TicketEvent, names: _Names, fields: _Fields) -> list[Change]:
    """What an event changed, from → to, by its kind."""
    data = event.data or {}
    kind = event.kind
    if kind in (EventKind.STATUS, EventKind.REOPENED):
        before = data.get("from") or (Status.WAITING if data.get("automatic") else None)
        after = data.get("to", Status.OPEN)
        return [Change("status", _("Status"), _label(Status, before), _label(Status, after))]
    if kind == EventKind.PRIORITY:
        before, after = _label(Priority, data.get("from")), _label(Priority, data.get("to"))
        return [Change("priority", _("Priority"), before, after)]
    if kind == EventKind.AREA:
        before, after = names.area(data.get("from")), names.area(data.get("to"))
        return [Change("area", _("Area"), before, after)]
    if kind == EventKind.ASSIGNED:
        before, after = names.user(data.get("previous")), names.user(data.get("to"))
        return [Change("assignee", _("Assignee"), before, after)]
    if kind == EventKind.TOOK_OWNERSHIP:
        before, after = names.user(data.get("previous")), names.user(event.actor_id)
        return [Change("assignee", _("Assignee"), before, after)]
    if kind == EventKind.FIELDS:
        return fields.changes(data)
    if kind == EventKind.CREATED and data.get("channel"):
        return [Change("channel", _("Channel"), "—", _label(Channel, data["channel"]))]
    return []


def _named(model: Any, ids: set[Any]) -> dict[int, str]:
    """Names by id of the rows of a model with a name (one query; none for no ids)."""
    if not ids:
        return {}
    query = select(model.id, model.name).where(model.id.in_(ids))
    return {row_id: name for row_id, name in db.session.execute(query)}


def _label(vocabulary: Any, value: Any) -> str:
    """A stored vocabulary value as its label; a dash for none."""
    return "—" if value in (None, "") else str(vocabulary.label_of(value))


class _Names:
    """Names of the areas and people the events refer to, read in one query each."""

    def __init__(self, areas: dict[int, str], users: dict[int, str]) -> None:
        self.areas, self.users = areas, users

    @classmethod
    def of(cls, events: list[TicketEvent]) -> _Names:
        """Read the names every event of the list refers to."""
        area_ids, user_ids = set(), set()
        for event in events:
            data = event.data or {}
            if event.kind == EventKind.AREA:
                area_ids |= {data.get("from"), data.get("to")}
            elif event.kind in (EventKind.ASSIGNED, EventKind.TOOK_OWNERSHIP):
                user_ids |= {data.get("previous"), data.get("to"), event.actor_id}
        area_ids.discard(None)
        user_ids.discard(None)
        return cls(_named(Area, area_ids), _named(User, user_ids))

    def area(self, area_id: Any) -> str:
        """An area's name (a dash for none)."""
        return "—" if area_id is None else self.areas.get(area_id, f"#{area_id}")

    def user(self, user_id: Any) -> str:
        """A person's name (a dash for nobody)."""
        return "—" if user_id is None else self.users.get(user_id, f"#{user_id}")


class _Fields:
    """Custom-field labels and values as the ticket's own form version shows them."""

    def __init__(self, ticket: Ticket, locale: str) -> None:
        self.ticket, self.locale = ticket, locale
        self._by_name: dict[str, Field] | None = None

    def by_name(self) -> dict[str, Field]:
        """The form's top-level fields by name (compiled once, only if an edit is shown)."""
        if self._by_name is None:
            described = compiled(self.ticket.type_version).describe()
            self._by_name = {f.name: f for f in described if f.path.count("/") == 1}
        return self._by_name

    def changes(self, data: dict[str, Any]) -> list[Change]:
        """Field edits from → to; entries recorded before values were kept name fields only."""
        known = self.by_name()
        if "changes" not in data:
            return [
                Change(name, self._label(known.get(name), name), "…", "…")
                for name in data.get("fields", [])
            ]
        return [
            Change(
                c["field"],
                self._label(known.get(c["field"]), c["field"]),
                self._text(known.get(c["field"]), c.get("from")),
                self._text(known.get(c["field"]), c.get("to")),
            )
            for c in data["changes"]
        ]

    def _label(self, found: Field | None, name: str) -> str:
        """The field's label in the reader's language (its name if the form lacks it)."""
        return found.label(self.locale) if found is not None else name

    def _text(self, found: Field | None, value: Any) -> str:
        """An answer as text."""
        if found is None:
            return "—" if value is None else str(value)
        return value_text(found, value, self.locale)
