"""The app's fixed vocabularies, each in one place: ticket status, priority and channel, role.

Each is a StrEnum whose members carry their label, translated lazily (in the language of
whoever reads it). The models (values, CHECK constraints), forms, API schemas, reports, mails
and templates read them from here; nothing else spells a value or a label out. This module
imports only flask_babel, so every layer, the models included, may import it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self, cast

from flask_babel import lazy_gettext as _l


# gettext's conventional name for a marker; `make i18n-extract` looks for it (-k N_).
def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


class Vocabulary(StrEnum):
    """A StrEnum whose members are written `NAME = "value", _l("Label")`."""

    _label: Any

    # *args, not (value, label): type checkers read a lookup such as Role("admin") as a call
    # of __new__, and it passes the value alone.
    def __new__(cls, *args: Any) -> Self:
        """Make the member: a str of its value, with its label beside it."""
        value, label = args
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> Any:
        """The translated label, lazy: str() gives it in the current language."""
        return self._label

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """Every value, in the order declared."""
        return tuple(member.value for member in cls)

    @classmethod
    def label_of(cls, value: str) -> Any:
        """The label of a stored value; the value itself when it is none of ours."""
        member = cls._value2member_map_.get(value)
        return value if member is None else cast(Vocabulary, member).label


class Status(Vocabulary):
    """A ticket's place in its life: new → open → in progress → waiting → resolved → closed."""

    NEW = "new", _l("New")
    OPEN = "open", _l("Open")
    IN_PROGRESS = "in_progress", _l("In progress")
    WAITING = "waiting", _l("Waiting on client")
    RESOLVED = "resolved", _l("Resolved")
    CLOSED = "closed", _l("Closed")


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING)


class Priority(Vocabulary):
    """How urgent a ticket is, from least to most."""

    LOW = "low", _l("Low")
    NORMAL = "normal", _l("Normal")
    HIGH = "high", _l("High")
    URGENT = "urgent", _l("Urgent")

    @property
    def rank(self) -> int:
        """Where the priority stands, 0 for the lowest: sorting by urgency uses it."""
        return list(Priority).index(self)


class Channel(Vocabulary):
    """How the request reached the desk."""

    PORTAL = "portal", _l("Portal")
    PHONE = "phone", _l("Phone")
    EMAIL = "email", _l("E-mail")
    WALK_IN = "walk_in", _l("In person")
    API = "api", _l("API")


class Role(Vocabulary):
    """What a user may do; see docs/architecture.md for the matrix."""

    ADMIN = "admin", _l("Administrator")
    COLLABORATOR = "collaborator", _l("Collaborator")
    CLIENT = "client", _l("Client")


class EventKind(Vocabulary):
    """What a timeline entry records, labelled as "<who> <label>"."""

    CREATED = "created", _l("filed the ticket")
    REPLY = "reply", _l("replied")
    NOTE = "note", _l("added an internal note")
    STATUS = "status", _l("changed the status")
    TOOK_OWNERSHIP = "took_ownership", _l("took ownership")
    ASSIGNED = "assigned", _l("assigned the ticket")
    PRIORITY = "priority", _l("changed the priority")
    AREA = "area", _l("changed the area")
    FIELDS = "fields", _l("edited fields")
    REOPENED = "reopened", _l("reopened the ticket")
    FEEDBACK = "feedback", _l("rated the service")
    ATTACHED = "attached", _l("attached files")
    SLA = "sla", _l("service level")


class SlaState(Vocabulary):
    """Where a ticket stands against its service-level targets, as the desk reads it now."""

    ON_TIME = "on_time", _l("On time")
    AT_RISK = "at_risk", _l("At risk")
    BREACHED = "breached", _l("Overdue")
    PAUSED = "paused", _l("Paused")
    MET = "met", _l("Met")
    NONE = "none", _l("No target")


class SlaOutcome(Vocabulary):
    """How one clock ended: its target met on time or missed (stored as sla_*_breached)."""

    MET = "met", _l("Met")
    MISSED = "missed", _l("Missed")


class RecomputeStatus(Vocabulary):
    """Where a run of "Recalcular tickets abiertos" stands: queued, running, then done or failed."""

    QUEUED = "queued", _l("Waiting to start")
    RUNNING = "running", _l("Running")
    DONE = "done", _l("Done")
    FAILED = "failed", _l("Ended with an error")


RECOMPUTE_ACTIVE = (RecomputeStatus.QUEUED, RecomputeStatus.RUNNING)


class SlaPhase(StrEnum):
    """What a ticket's clocks are doing, as stored (the state adds the time: at risk, late)."""

    NONE = "none"  # no policy applies
    RUNNING = "running"  # a target is counting
    PAUSED = "paused"  # waiting on the client
    MET = "met"  # every target met on time
    BREACHED = "breached"  # no clock counts and a target was missed
