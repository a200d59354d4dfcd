"""The data model: one module per aggregate."""

from .api_tokens import ApiToken
from .base import utcnow
from .catalog import PRIORITIES, TicketType, TicketTypeVersion
from .exports import Export
from .outbox import OutboxMessage, OutboxStatus
from .tickets import (
    ACTIVE_STATUSES,
    Attachment,
    Channel,
    Comment,
    Feedback,
    Status,
    Ticket,
    TicketEvent,
    TicketNumber,
)
from .users import (
    Area,
    AuthToken,
    LoginAttempt,
    LoginSession,
    Role,
    TokenPurpose,
    User,
    area_members,
)
from .views import SavedView

__all__ = [
    "ACTIVE_STATUSES",
    "ApiToken",
    "PRIORITIES",
    "Area",
    "Attachment",
    "AuthToken",
    "Channel",
    "Comment",
    "Export",
    "Feedback",
    "LoginAttempt",
    "LoginSession",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "SavedView",
    "Status",
    "Ticket",
    "TicketEvent",
    "TicketNumber",
    "TicketType",
    "TicketTypeVersion",
    "TokenPurpose",
    "User",
    "area_members",
    "utcnow",
]
