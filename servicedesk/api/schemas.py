"""JSON Schemas of the API's resources (components of the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from ..models import Channel, Priority, Role, Status
from ..vocabulary import EventKind, SlaState


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


STATUSES = Status.values()
PRIORITIES = Priority.values()
CHANNELS = Channel.values()
DATE_TIME = {"type": "string", "format": "date-time"}
# Text the API accepts holds no NUL (PostgreSQL refuses it; json_text refuses it everywhere).
NO_NUL = "^[^\\x00]*$"


def text(max_length: int, **extra: Any) -> dict[str, Any]:
    """A text field of a request: at most max_length characters, no NUL."""
    return {"type": "string", "maxLength": max_length, "pattern": NO_NUL, **extra}


# Custom field values: any JSON without NUL in a text or a key, as json_text reads it.
CLEAN_JSON = {
    "anyOf": [
        {"type": "string", "pattern": NO_NUL},
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": {"$ref": "#/components/schemas/CleanJSON"}},
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL},
            "additionalProperties": {"$ref": "#/components/schemas/CleanJSON"},
        },
    ]
}


def data(description: str) -> dict[str, Any]:
    """The custom fields object of a request (the type's form validates it further)."""
    return {
        "type": "object",
        "propertyNames": {"pattern": NO_NUL},
        "additionalProperties": ref("CleanJSON"),
        "description": description,
    }


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAYBE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}


def obj(
    properties: dict[str, Any], required: list[str] | None = None, closed: bool = True
) -> dict[str, Any]:
    """An object schema; every listed property required unless told otherwise."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


PERSON = obj({"id": {"type": "integer"}, "name": {"type": "string"}})
MAYBE_PERSON = {"oneOf": [PERSON, {"type": "null"}]}
AREA = obj({"id": {"type": "integer"}, "name": {"type": "string"}})
# Whether a ticket still lacks required fields (tickets and list lines alike).
INCOMPLETE = {
    "type": "boolean",
    "description": "Filed by e-mail without every required field of its form "
    '("Datos incompletos"); false once the fields are completed',
}
# A ticket's service level: the desk's only, null for clients (targets are internal).
MAYBE_SLA = {
    "oneOf": [{"$ref": "#/components/schemas/ServiceLevel"}, {"type": "null"}],
    "description": "Service-level targets and where the ticket stands now; null for clients",
}

COMPONENTS: dict[str, Any] = {
    "CleanJSON": CLEAN_JSON,
    "Problem": obj(
        {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": obj({"pointer": {"type": "string"}, "detail": {"type": "string"}}),
            },
        },
        required=["type", "title", "status"],
        closed=False,
    ),
    "Person": PERSON,
    "Area": AREA,
    "ServiceLevel": obj(
        {
            "policy": {
                "type": ["string", "null"],
                "description": "The policy the ticket was given (null: none applies)",
            },
            "first_response_due": {
                **MAYBE_DATE_TIME,
                "description": "Due of the first public reply while it counts or was missed",
            },
            "resolution_due": {**MAYBE_DATE_TIME, "description": "Due of the resolution"},
            "state": {
                "enum": list(SlaState.values()),
                "description": "breached: a due passed (or a target was missed); at_risk: past "
                "the warning share of a target; paused: waiting on the client",
            },
            "paused_since": MAYBE_DATE_TIME,
        }
    ),
    "Me": obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "role": {"enum": Role.values()},
            "language": {"enum": ["es", "en"]},
            "areas": {"type": "array", "items": ref("Area")},
        }
    ),
    "FormVersion": obj(
        {
            "number": {"type": "integer"},
            "schema": {"type": "object", "description": "The form's JSON Schema (2020-12)"},
            "ui": {"type": "object", "description": "Rendering hints (order, widgets, labels)"},
            "created_at": DATE_TIME,
        }
    ),
    "TicketType": obj(
        {
            "key": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "active": {"type": "boolean"},
            "default_priority": {"enum": PRIORITIES},
            "current_version": {"oneOf": [ref("FormVersion"), {"type": "null"}]},
        }
    ),
    "TicketTypeList": obj({"items": {"type": "array", "items": ref("TicketType")}}),
    "TicketSummary": obj(
        {
            "number": {"type": "integer"},
            "subject": {"type": "string"},
            "status": {"enum": STATUSES},
            "priority": {"enum": PRIORITIES},
            "channel": {"enum": CHANNELS},
            "type": {"type": "string"},
            "area": {"oneOf": [AREA, {"type": "null"}]},
            "requester": PERSON,
            "assignee": MAYBE_PERSON,
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
            "incomplete": INCOMPLETE,
            "sla": MAYBE_SLA,
        }
    ),
    "TicketList": obj(
        {
            "items": {"type": "array", "items": ref("TicketSummary")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as `cursor` for the next page; null at the end",
            },
        }
    ),
    "Field": obj(
        {
            "pointer": {"type": "string"},
            "label": {"type": "string"},
            "display": {"type": "string", "description": "The value as people read it"},
        }
    ),
    "Ticket": obj(
        {
            "number": {"type": "integer"},
            "subject": {"type": "string"},
            "description": {"type": "string"},
            "status": {"enum": STATUSES},
            "priority": {"enum": PRIORITIES},
            "channel": {"enum": CHANNELS},
            "type": {"type": "string"},
            "form_version": {"type": "integer"},
            "data": {"type": "object", "description": "Custom fields, valid for form_version"},
            "fields": {"type": "array", "items": ref("Field")},
            "area": {"oneOf": [AREA, {"type": "null"}]},
            "requester": PERSON,
            "assignee": MAYBE_PERSON,
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
            "first_response_at": MAYBE_DATE_TIME,
            "resolved_at": MAYBE_DATE_TIME,
            "closed_at": MAYBE_DATE_TIME,
            "version": {"type": "integer"},
            "transitions": {
                "type": "array",
                "items": {"enum": STATUSES},
                "description": "Statuses this user may move the ticket to",
            },
            "incomplete": INCOMPLETE,
            "sla": MAYBE_SLA,
        }
    ),
    "NewTicket": obj(
        {
            "type": text(40),
            "subject": text(200),
            "description": text(20000),
            "data": data("Custom fields for the type's current form"),
            "requester_id": {"type": "integer", "description": "Desk only: file for this client"},
            "channel": {
                "enum": CHANNELS,
                "description": "Desk only: how the request arrived (default api)",
            },
        },
        required=["type", "subject"],
    ),
    "TicketChanges": obj(
        {
            "data": data("Custom fields to change, valid for the ticket's form version"),
            "priority": {"enum": PRIORITIES},
            "area_id": {"type": ["integer", "null"]},
        },
        required=[],
    ),
    "StatusChange": obj(
        {
            "status": {"enum": STATUSES},
            "resolution": text(20000, description="Public note sent with a closure"),
        },
        required=["status"],
    ),
    "Assignment": obj({"assignee_id": {"type": ["integer", "null"]}}),
    "NewComment": obj(
        {
            "body": text(20000, minLength=1),
            "internal": {"type": "boolean", "description": "Desk only: an internal note"},
        },
        required=["body"],
    ),
    "Comment": obj(
        {
            "id": {"type": "integer"},
            "body": {"type": "string"},
            "internal": {"type": "boolean"},
            "author": MAYBE_PERSON,
            "created_at": DATE_TIME,
        }
    ),
    "CommentList": obj({"items": {"type": "array", "items": ref("Comment")}}),
    "HistoryEntry": obj(
        {
            "at": DATE_TIME,
            "actor": {"type": "string", "description": "Who did it (— for the system)"},
            "kind": {"enum": list(EventKind.values())},
            "label": {"type": "string", "description": "What was done, in your language"},
            "internal": {"type": "boolean"},
            "changes": {
                "type": "array",
                "items": obj(
                    {
                        "key": {
                            "type": "string",
                            "description": "status, priority, area, assignee, channel, "
                            "or a custom field's name",
                        },
                        "label": {"type": "string"},
                        "from": {"type": "string"},
                        "to": {"type": "string"},
                    }
                ),
            },
        }
    ),
    "History": obj({"items": {"type": "array", "items": ref("HistoryEntry")}}),
    "Attachment": obj(
        {
            "id": {"type": "integer"},
            "filename": {"type": "string"},
            "content_type": {"type": "string"},
            "size": {"type": "integer"},
            "sha256": {"type": "string"},
            "internal": {"type": "boolean"},
            "comment_id": {"type": ["integer", "null"]},
            "created_at": DATE_TIME,
            "download": {"type": "string"},
        }
    ),
    "AttachmentList": obj({"items": {"type": "array", "items": ref("Attachment")}}),
    "FeedbackInput": obj(
        {
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "comment": text(2000),
        },
        required=["rating"],
    ),
    "Feedback": obj(
        {
            "rating": {"type": "integer"},
            "comment": {"type": "string"},
            "closure": {"type": "integer"},
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
        }
    ),
    # Service levels (administrators only).
    "SlaPolicy": obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "position": {"type": "integer", "description": "1 is tried first"},
            "default": {"type": "boolean"},
            "active": {"type": "boolean"},
            "version": {"type": "integer", "description": "the current version's number"},
            "rules": obj(
                {
                    "type_ids": {"type": "array", "items": {"type": "integer"}},
                    "priorities": {"type": "array", "items": {"enum": list(PRIORITIES)}},
                    "area_ids": {"type": "array", "items": {"type": "integer"}},
                    "channels": {"type": "array", "items": {"enum": list(CHANNELS)}},
                }
            ),
            "first_response_minutes": {
                "type": ["integer", "null"],
                "description": "business minutes; null: no target",
            },
            "resolution_minutes": {
                "type": ["integer", "null"],
                "description": "business minutes; null: no target",
            },
            "warn_percent": {"type": "integer"},
        }
    ),
    "SlaPolicyList": obj({"items": {"type": "array", "items": ref("SlaPolicy")}}),
    "SlaCalendar": obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "zone": {"type": "string", "description": "IANA time zone"},
            "default": {"type": "boolean"},
            "hours": obj(
                {
                    day: {
                        "type": "array",
                        "items": obj(
                            {
                                "start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                                "end": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                            }
                        ),
                    }
                    for day in WEEKDAYS
                }
            ),
            "holidays": {
                "type": "array",
                "items": obj(
                    {
                        "date": {"type": "string", "format": "date"},
                        "name": {"type": "string"},
                        "yearly": {"type": "boolean"},
                    }
                ),
            },
            "areas": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "SlaCalendarList": obj({"items": {"type": "array", "items": ref("SlaCalendar")}}),
}
