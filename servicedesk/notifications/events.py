"""Which change mails whom: written to the outbox in the transaction of the change itself."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, case, or_, select

from ..catalog import display
from ..extensions import db
from ..links import public_url
from ..models import Comment, Role, Status, Ticket, User, area_members
from ..vocabulary import N_
from . import outbox

# Kinds a user may mute; closure and resolution of one's own ticket cannot be muted.
MUTABLE = {
    "new_ticket": _l("New tickets in my areas (and all, for administrators)"),
    "assigned": _l("Tickets assigned to me or taken from me"),
    "reply": _l("Replies on tickets I follow"),
    "status": _l("Status changes of my tickets"),
}
ALWAYS = {Status.RESOLVED, Status.CLOSED}


def ticket_link(ticket: Ticket, user: User) -> str:
    """The ticket's page for this recipient (the portal for clients, the desk otherwise)."""
    return public_url("portal.ticket" if user.is_client else "desk.ticket", number=ticket.number)


def _send(
    kind: str,
    users: Iterable[User | None],
    ticket: Ticket,
    actor: User | None,
    subject: object,
    mutable: str | None = None,
    per_language: Any = None,
    **context: object,
) -> None:
    """Queue one message per distinct active recipient, never to the one who acted.

    Recipients who read the same language, in the same zone, and open the same link (desk
    or portal) get the same mail but for their name: each such group is rendered once and
    written in one INSERT (outbox.enqueue_group), rather than once per recipient. The zone
    is the user's own setting (None: the organisation's), so nobody's is looked up.
    """
    seen: set[int] = set()
    groups: dict[tuple[str, str | None, bool], list[User]] = {}
    for user in users:
        if user is None or not user.active or not user.email or user.id in seen:
            continue
        if actor is not None and user.id == actor.id:
            continue
        if mutable and mutable in (user.muted or []):
            continue
        seen.add(user.id)
        groups.setdefault((user.language, user.timezone, user.is_client), []).append(user)
    for (language, zone, _client), members in groups.items():
        extra = per_language(language) if per_language else {}
        outbox.enqueue_group(
            kind,
            members,
            language,
            subject=subject,
            zone=zone,
            ticket=ticket,
            link=ticket_link(ticket, members[0]),
            actor=actor,
            **context,
            **extra,
        )


def _subject(text: object, ticket: Ticket) -> str:
    """Prefix a subject with the ticket number, as mail clients thread on it."""
    return f"[#{ticket.number}] {text} — {ticket.subject}"


# Administrators, then the members of one area (:area_id; none when NULL), by name. Built
# once: composing it cost more than running it.
_AREA_AND_ADMINS = (
    select(User)
    .where(
        or_(
            User.role == Role.ADMIN,
            User.id.in_(
                select(area_members.c.user_id).where(
                    area_members.c.area_id == bindparam("area_id", type_=Integer)
                )
            ),
        )
    )
    .order_by(case((User.role == Role.ADMIN, 0), else_=1), User.name)
)


def _area_and_admins(ticket: Ticket) -> list[User]:
    """Administrators and the members of the ticket's area (one query)."""
    return list(db.session.scalars(_AREA_AND_ADMINS, {"area_id": ticket.area_id}))


def new_ticket(ticket: Ticket, actor: User | None) -> None:
    """A ticket was filed: tell the administrators and the type's area (notices expand it)."""
    _send(
        "new_ticket",
        _area_and_admins(ticket),
        ticket,
        actor,
        _lazy_subject(N_("New ticket"), ticket),
        mutable="new_ticket",
        per_language=lambda language: {"rows": display.rows(ticket, language)},
    )
    if ticket.created_by_id != ticket.requester_id:
        # Filed by the desk for a client who phoned or came in: they learn it exists and
        # where to follow it (a client without an e-mail address is simply not written to).
        _send(
            "filed_for_you",
            [db.session.get(User, ticket.requester_id)],
            ticket,
            actor,
            _lazy_subject(N_("A ticket was filed for you"), ticket),
            per_language=lambda language: {"rows": display.rows(ticket, language)},
        )


def received(ticket: Ticket) -> None:
    """A ticket filed by e-mail: its requester gets its number (a reply to it lands there)."""
    _send(
        "received",
        [db.session.get(User, ticket.requester_id)],
        ticket,
        None,
        _lazy_subject(N_("We received your request"), ticket),
        per_language=lambda language: {"rows": display.rows(ticket, language)},
    )


def assigned(ticket: Ticket, actor: User, previous: User | None) -> None:
    """A ticket got a new owner (assignment or take-over): tell the owner and the previous."""
    owner = db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    _send(
        "assigned",
        [owner],
        ticket,
        actor,
        _lazy_subject(N_("Assigned to you"), ticket),
        mutable="assigned",
    )
    if previous is not None and owner is not None and previous.id != owner.id:
        _send(
            "taken",
            [previous],
            ticket,
            actor,
            _lazy_subject(N_("Taken over"), ticket),
            mutable="assigned",
            owner=owner,
        )


def replied(ticket: Ticket, comment: Comment, actor: User) -> None:
    """A public reply: to the client from the desk, to the owner (or area) from the client."""
    if comment.internal:
        return  # internal notes never leave the desk
    if actor.is_client:
        owner = db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None
        recipients = [owner] if owner else _area_and_admins(ticket)
        _send(
            "client_reply",
            recipients,
            ticket,
            actor,
            _lazy_subject(N_("The client replied"), ticket),
            mutable="reply",
            comment=comment,
        )
    else:
        requester = db.session.get(User, ticket.requester_id)
        _send(
            "reply",
            [requester],
            ticket,
            actor,
            _lazy_subject(N_("New reply"), ticket),
            mutable="reply",
            comment=comment,
        )


def reopened(ticket: Ticket, actor: User) -> None:
    """The client reopened the ticket: tell its owner, or its area when nobody owns it."""
    if not actor.is_client:
        return  # the desk reopened it itself
    owner = db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    _send(
        "reopened",
        [owner] if owner else _area_and_admins(ticket),
        ticket,
        actor,
        _lazy_subject(N_("The client reopened the ticket"), ticket),
        mutable="reply",
    )


def status_changed(ticket: Ticket, actor: User, note: str = "") -> None:
    """The status changed: tell the client (closure carries the feedback link)."""
    requester = db.session.get(User, ticket.requester_id)
    if ticket.status == Status.CLOSED:
        feedback = ticket_link(ticket, requester) + "#feedback-h" if requester else ""
        _send(
            "closed",
            [requester],
            ticket,
            actor,
            _lazy_subject(N_("Ticket closed"), ticket),
            note=note,
            feedback_link=feedback,
        )
        return
    _send(
        "status",
        [requester],
        ticket,
        actor,
        _lazy_subject(N_("Status changed"), ticket),
        mutable=None if ticket.status in ALWAYS else "status",
    )


# Subjects of the service-level mail, by (clock, kind).
SLA_SUBJECTS = {
    ("response", "warning"): N_("First response due soon"),
    ("resolution", "warning"): N_("Resolution due soon"),
    ("response", "breach"): N_("First response overdue"),
    ("resolution", "breach"): N_("Resolution overdue"),
}


def sla_recipients(ticket: Ticket, kind: str) -> list[User]:
    """Who hears of a service level: a warning goes to the owner, else (nobody, or an owner
    since deactivated) the area's active staff, else the administrators; a breach to the
    area's supervisors and the administrators."""
    owner = db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    if kind == "warning" and owner is not None and owner.active:
        return [owner]
    members = select(area_members.c.user_id).where(area_members.c.area_id == ticket.area_id)
    if kind == "breach":
        members = members.where(area_members.c.supervisor)
    staff = User.role != Role.CLIENT
    if kind == "warning":
        found = list(
            db.session.scalars(
                select(User).where(User.id.in_(members), User.active, staff).order_by(User.name)
            )
        )
        if found:
            return found
        return list(
            db.session.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.name))
        )
    return list(
        db.session.scalars(
            select(User)
            .where(or_(User.role == Role.ADMIN, User.id.in_(members) & staff))
            .order_by(case((User.role == Role.ADMIN, 0), else_=1), User.name)
        )
    )


def sla_warning(
    ticket: Ticket, clock: str, kind: str, due: datetime, recipients: Iterable[User]
) -> None:
    """A service-level target is near ("warning") or missed ("breach"): tell the recipients.

    The mail names the target (first response or resolution) and its due time in each
    reader's zone; it is not mutable: it is the reason the desk has service levels.
    """
    _send(
        "sla_" + kind,
        recipients,
        ticket,
        None,
        _lazy_subject(SLA_SUBJECTS[(clock, kind)], ticket),
        clock=clock,
        due=due,
        policy=ticket.sla_version.policy.name if ticket.sla_version else "",
    )


def _lazy_subject(text: str, ticket: Ticket) -> object:
    """A subject translated in each recipient's language when the mail is rendered."""
    return LazyString(lambda: _subject(gettext(text), ticket))
