"""The data model: one module per aggregate.

The vocabularies its columns hold (servicedesk/vocabulary.py) are re-exported here, so code
that reads the models finds them beside them.
"""

from ..vocabulary import (
    ACTIVE_STATUSES,
    RECOMPUTE_ACTIVE,
    Channel,
    EventKind,
    Priority,
    RecomputeStatus,
    Role,
    SlaPhase,
    SlaState,
    Status,
)
from .api_tokens import ApiToken
from .base import utcnow
from .catalog import TicketType, TicketTypeVersion
from .exports import Export
from .inbound import InboundMessage
from .mailboxes import Mailbox, MailSecurity
from .outbox import Notice, NoticeStatus, OutboxMessage, OutboxStatus
from .reports import ReportChange, ReportCubeRow, ReportMonth
from .settings import Setting
from .sla import SlaCalendar, SlaPolicy, SlaPolicyVersion, SlaRecompute
from .tickets import (
    REPORT_COLUMNS,
    Attachment,
    Comment,
    Feedback,
    HeldUpload,
    Ticket,
    TicketEvent,
    TicketNumber,
    elapsed_us,
)
from .users import (
    Area,
    AuthToken,
    LoginAttempt,
    LoginSession,
    TokenPurpose,
    User,
    area_members,
)
from .views import SavedView

PRIORITIES = Priority.values()

__all__ = [
    "ACTIVE_STATUSES",
    "ApiToken",
    "PRIORITIES",
    "Priority",
    "RECOMPUTE_ACTIVE",
    "RecomputeStatus",
    "Area",
    "Attachment",
    "AuthToken",
    "Channel",
    "Comment",
    "Export",
    "EventKind",
    "Feedback",
    "HeldUpload",
    "InboundMessage",
    "LoginAttempt",
    "LoginSession",
    "Mailbox",
    "MailSecurity",
    "Notice",
    "NoticeStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "SavedView",
    "Setting",
    "SlaCalendar",
    "SlaPhase",
    "SlaPolicy",
    "SlaPolicyVersion",
    "SlaRecompute",
    "SlaState",
    "Status",
    "REPORT_COLUMNS",
    "ReportChange",
    "ReportCubeRow",
    "ReportMonth",
    "Ticket",
    "elapsed_us",
    "TicketEvent",
    "TicketNumber",
    "TicketType",
    "TicketTypeVersion",
    "TokenPurpose",
    "User",
    "area_members",
    "utcnow",
]
