"""Working a ticket: replies and notes, status, take ownership, assign, close, reopen, feedback.

Every function takes the actor explicitly, enforces who may do it, flushes, and records a
timeline event. None of them commits: the view commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import (
    ACTIVE_STATUSES,
    PRIORITIES,
    Area,
    Attachment,
    Comment,
    Feedback,
    HeldUpload,
    Role,
    Status,
    Ticket,
    TicketEvent,
    User,
    elapsed_us,
    utcnow,
)
from ..notifications import events
from ..sla import service as sla
from . import held as held_files
from .attachments import check_uploads
from .service import store_attachment

# Where a collaborator may move a ticket from each status.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.IN_PROGRESS: {Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.WAITING: {Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.CLOSED, Status.OPEN, Status.IN_PROGRESS},
    Status.CLOSED: {Status.OPEN},
}


class NotAllowed(Exception):
    """The actor may not do this to this ticket (the message says why)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class BadUpload(NotAllowed):
    """Files refused by the upload rules (type, size, name); nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class TakenBySomeoneElse(NotAllowed):
    """Another collaborator took the ticket first."""

    def __init__(self, owner: User | None) -> None:
        name = owner.name if owner else "?"
        super().__init__(_l("%(name)s took this ticket first.", name=name))
        self.owner = owner


def record(
    ticket: Ticket, actor: User | None, kind: str, internal: bool = False, **data: Any
) -> None:
    """Add an event to the ticket's timeline and mark the ticket as updated."""
    now = utcnow()
    db.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            actor_id=actor.id if actor else None,
            kind=kind,
            internal=internal,
            data=data,
            created_at=now,
        )
    )
    _append_update(ticket, updated_at=now)


def _append_update(ticket: Ticket, *conditions: Any, **values: Any) -> bool:
    """Update the ticket's row for an append, outside its optimistic lock.

    Appends (replies, notes, files, ratings) never conflict with one another or with an
    edit: they go straight to the row instead of through the ORM's version check, which is
    kept for edits of the same fields. Returns whether the row matched the conditions.
    """
    result = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        return False
    for key, value in values.items():
        if key == "version":
            value = ticket.version + 1
        # The loaded object learns the new values without becoming dirty.
        set_committed_value(ticket, key, value)
    return True


def _require_staff(actor: User) -> None:
    """Refuse clients."""
    if not actor.is_staff:
        raise NotAllowed(_l("Only the desk can do that."))


def _chosen(files: Sequence[Any], held: int = 0) -> list[Any]:
    """The uploads actually chosen (a form posts an empty part for no file), checked."""
    chosen = [f for f in files if f.filename]
    if problems := check_uploads(chosen, held):
        raise BadUpload(problems)
    return chosen


def _may_write(actor: User, ticket: Ticket, internal: bool) -> None:
    """Clients write only public messages on their own open tickets."""
    if actor.is_client:
        if internal or ticket.requester_id != actor.id:
            raise NotAllowed(_l("Only the desk can do that."))
        if not ticket.is_open:
            raise NotAllowed(_l("This ticket is closed; reopen it to reply."))


def reply(
    actor: User,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    notify: bool = True,
    files: Sequence[Any] = (),
    held: Sequence[str] = (),
) -> Comment:
    """Add a public reply or (staff only) an internal note, with its files.

    ``held`` names files the actor chose on a refused try (tickets/held.py); they are
    filed with the new ones.
    """
    body = body.strip()
    if not body:
        raise NotAllowed(_l("Write a message."))
    _may_write(actor, ticket, internal)
    kept = held_files.claim(actor, held)
    chosen = _chosen(files, len(kept))
    comment = Comment(ticket_id=ticket.id, author_id=actor.id, body=body, internal=internal)
    db.session.add(comment)
    db.session.flush()
    for row in kept:
        held_files.attach(ticket, actor, row, internal, comment.id)
    for upload in chosen:
        store_attachment(ticket, actor, upload, internal, comment.id)
    if (
        actor.is_staff
        and not internal
        and ticket.first_response_at is None
        # Only the first reply sets it (and meets the first-response target), whoever of
        # two simultaneous replies that is.
        and _append_update(
            ticket,
            Ticket.first_response_at.is_(None),
            first_response_at=(now := utcnow()),
            first_response_us=elapsed_us(ticket.created_at, now),
            **sla.responded(ticket),
        )
    ):
        sla.noted(ticket, actor, "responded")
    if (
        actor.is_client
        and ticket.status == Status.WAITING
        and _append_update(
            ticket,
            Ticket.status == Status.WAITING,
            status=Status.IN_PROGRESS,
            version=Ticket.version + 1,
            **sla.resumed(ticket),
        )
    ):
        # The client answered: the ball is back with the desk (and the clocks count again).
        # A status change, so the version moves and an edit made from the older page is
        # told so.
        change: dict[str, Any] = {"from": Status.WAITING, "to": Status.IN_PROGRESS}
        record(ticket, actor, "status", automatic=True, **change)
        sla.noted(ticket, actor, "resumed")
    record(ticket, actor, "note" if internal else "reply", internal=internal, comment_id=comment.id)
    if notify:
        events.replied(ticket, comment, actor)
    return comment


def system_note(ticket: Ticket, body: str) -> Comment:
    """An internal note written by the desk itself (no author): what a machine noticed."""
    comment = Comment(ticket_id=ticket.id, author_id=None, body=body.strip(), internal=True)
    db.session.add(comment)
    db.session.flush()
    record(ticket, None, "note", internal=True, comment_id=comment.id)
    return comment


def keep_files(actor: User, files: Sequence[Any], held: Sequence[str]) -> list[HeldUpload]:
    """Keep the files of a refused reply for the form shown again (after the rollback)."""
    return held_files.keep(actor, files, held)


def attach(actor: User, ticket: Ticket, files: Sequence[Any], internal: bool) -> list[Attachment]:
    """Add files to a ticket without a message (desk: possibly internal)."""
    _may_write(actor, ticket, internal)
    chosen = _chosen(files)
    if not chosen:
        raise BadUpload([str(_l("Choose a file."))])
    stored = [store_attachment(ticket, actor, f, internal) for f in chosen]
    record(ticket, actor, "attached", internal=internal, files=[a.id for a in stored])
    return stored


def _set_status(ticket: Ticket, actor: User, status: str) -> None:
    """Change status and keep the resolution and closure times and the clocks right."""
    now, previous = utcnow(), ticket.status
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    elif status == Status.CLOSED:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.closed_at = now
        ticket.closure_count += 1
    elif status in ACTIVE_STATUSES:
        # Reopened: it is no longer resolved; the next resolution is measured anew.
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.status = status
    sla.status_changed(ticket, actor, previous)


def change_status(actor: User, ticket: Ticket, status: str, note: str = "") -> None:
    """Move a ticket along its life (collaborators and administrators)."""
    _require_staff(actor)
    if status == ticket.status:
        return
    if status not in TRANSITIONS.get(ticket.status, set()):
        raise NotAllowed(_l("That status change is not possible."))
    previous = ticket.status
    _set_status(ticket, actor, status)
    change: dict[str, Any] = {"from": previous, "to": status}
    record(ticket, actor, "status", **change)
    events.status_changed(ticket, actor, note)


def close(actor: User, ticket: Ticket, resolution: str) -> None:
    """Close a ticket with a public resolution note."""
    _require_staff(actor)
    if ticket.status == Status.CLOSED:
        raise NotAllowed(_l("The ticket is already closed."))
    if resolution.strip():
        # The closing mail carries the resolution note: one message, not two.
        reply(actor, ticket, resolution, notify=False)
    change_status(actor, ticket, Status.CLOSED, note=resolution.strip())


def reopen(actor: User, ticket: Ticket) -> None:
    """Reopen a resolved or closed ticket (clients: their own, within the window)."""
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise NotAllowed(_l("Only resolved or closed tickets can be reopened."))
    if actor.is_client:
        if ticket.requester_id != actor.id:
            raise NotAllowed(_l("Only the desk can do that."))
        days = current_app.config["REOPEN_DAYS"]
        since = ticket.closed_at or ticket.resolved_at or ticket.updated_at
        if utcnow() - since > timedelta(days=days):
            raise NotAllowed(
                _l(
                    "This ticket was closed more than %(days)d days ago; "
                    "please file a new request.",
                    days=days,
                )
            )
    previous = ticket.status
    _set_status(ticket, actor, Status.OPEN)
    change: dict[str, Any] = {"from": previous}
    record(ticket, actor, "reopened", **change)
    events.reopened(ticket, actor)


def take(actor: User, ticket: Ticket, seen_assignee_id: int | None) -> None:
    """Take ownership atomically: of two at once exactly one wins, the other learns who.

    The UPDATE only matches if the owner is still the one the actor saw, so the database,
    not the application, decides the race.
    """
    _require_staff(actor)
    if ticket.status == Status.CLOSED:
        raise NotAllowed(_l("The ticket is closed; reopen it first."))
    if ticket.assignee_id == actor.id:
        return
    owner_test = (
        Ticket.assignee_id.is_(None)
        if seen_assignee_id is None
        else Ticket.assignee_id == seen_assignee_id
    )
    new_status = Status.OPEN if ticket.status == Status.NEW else ticket.status
    result = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, owner_test)
        .values(
            assignee_id=actor.id, status=new_status, updated_at=utcnow(), version=Ticket.version + 1
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        # Nothing was written; the caller's transaction is left as it was. The owner is
        # read by a new statement, which sees the winner's commit (the UPDATE waited for it).
        owner_id = db.session.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket.id))
        raise TakenBySomeoneElse(db.session.get(User, owner_id) if owner_id else None)
    db.session.refresh(ticket)
    record(ticket, actor, "took_ownership", internal=True, previous=seen_assignee_id)
    events.assigned(
        ticket, actor, db.session.get(User, seen_assignee_id) if seen_assignee_id else None
    )


def assign(actor: User, ticket: Ticket, assignee: User | None) -> None:
    """Assign or reassign a ticket to a collaborator (administrators only)."""
    if not actor.is_admin:
        raise NotAllowed(_l("Only administrators assign tickets."))
    if assignee is not None and (not assignee.is_staff or not assignee.active):
        raise NotAllowed(_l("Tickets can only be assigned to active collaborators."))
    previous = ticket.assignee_id
    ticket.assignee_id = assignee.id if assignee else None
    if assignee is not None and ticket.status == Status.NEW:
        ticket.status = Status.OPEN
    record(
        ticket,
        actor,
        "assigned",
        internal=True,
        previous=previous,
        to=assignee.id if assignee else None,
    )
    if assignee is not None and assignee.id != previous:
        events.assigned(ticket, actor, db.session.get(User, previous) if previous else None)


def set_priority(actor: User, ticket: Ticket, priority: str) -> None:
    """Change the priority."""
    _require_staff(actor)
    if priority not in PRIORITIES:
        raise NotAllowed(_l("Choose a priority."))
    if priority != ticket.priority:
        previous, ticket.priority = ticket.priority, priority
        change: dict[str, Any] = {"from": previous, "to": priority}
        record(ticket, actor, "priority", **change)
        sla.retarget(ticket, actor, "priority")


def set_area(actor: User, ticket: Ticket, area: Area | None) -> None:
    """Route the ticket to another area."""
    _require_staff(actor)
    if area is not None and not area.active:
        raise NotAllowed(_l("That area is not active."))
    new_id = area.id if area else None
    if new_id != ticket.area_id:
        previous, ticket.area_id = ticket.area_id, new_id
        record(ticket, actor, "area", internal=True, **{"from": previous, "to": new_id})
        # Another area may have other rules and other business hours.
        sla.retarget(ticket, actor, "area")


def edit_fields(actor: User, ticket: Ticket, data: dict[str, Any]) -> None:
    """Replace the custom field values (already validated against the ticket's version)."""
    _require_staff(actor)
    before = ticket.data or {}
    changes = [
        {"field": k, "from": before.get(k), "to": data.get(k)}
        for k in sorted(set(data) | set(before))
        if before.get(k) != data.get(k)
    ]
    if ticket.incomplete:
        # Saved through the ticket's form, which requires what is required: complete now.
        ticket.incomplete = False
    if changes:
        ticket.data = data
        # The values from → to, so the history can say what changed, not only where.
        record(ticket, actor, "fields", changes=changes)


def leave_feedback(actor: User, ticket: Ticket, rating: int, comment: str) -> Feedback:
    """Rate a closed ticket once per closure; editable for a short while."""
    if not actor.is_client or ticket.requester_id != actor.id:
        raise NotAllowed(_l("Only the person who filed the ticket can rate it."))
    if ticket.status != Status.CLOSED:
        raise NotAllowed(_l("You can rate the service once the ticket is closed."))
    if not 1 <= rating <= 5:
        raise NotAllowed(_l("Choose a rating from 1 to 5."))
    existing = db.session.scalar(
        select(Feedback).where(
            Feedback.ticket_id == ticket.id, Feedback.closure == ticket.closure_count
        )
    )
    now = utcnow()
    if existing is not None:
        window = timedelta(hours=current_app.config["FEEDBACK_EDIT_HOURS"])
        if now - existing.created_at > window:
            raise NotAllowed(_l("Your rating can no longer be changed."))
        existing.rating, existing.comment, existing.updated_at = rating, comment.strip(), now
        record(ticket, actor, "feedback", rating=rating, edited=True)
        return existing
    feedback = Feedback(
        ticket_id=ticket.id,
        closure=ticket.closure_count,
        author_id=actor.id,
        rating=rating,
        comment=comment.strip(),
        created_at=now,
        updated_at=now,
    )
    try:
        # A savepoint: the same rating sent twice at once must not undo the caller's work.
        with db.session.begin_nested():
            db.session.add(feedback)
    except IntegrityError:
        # The other submission stored it first; this one is the edit of it.
        return leave_feedback(actor, ticket, rating, comment)
    record(ticket, actor, "feedback", rating=rating)
    return feedback


def staff_choices() -> list[User]:
    """Return the active collaborators and administrators, for assignment."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([Role.ADMIN, Role.COLLABORATOR]), User.active.is_(True))
            .order_by(User.name)
        )
    )
