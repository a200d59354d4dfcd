"""Escalation: mail the service-level warnings and breaches whose time has come.

One pass reads the tickets whose ``sla_escalate_at`` has passed (an index range: at any
moment only the tickets near a threshold are in it), asks the clocks what is due
(clock.notify), and for each ticket writes the new columns, an "sla" event per warning and
the warning's mail (through the outbox) in one transaction. The UPDATE only matches the
row as it was read, so two passes at once (two workers, several web processes in the
embedded mode) send each warning once: the second finds the row changed and leaves it.

Who runs it: `flask worker` every SLA_ESCALATE_SECONDS (a thread beside the outbox relay);
without Redis, a thread of each web process (``Ticker``); `flask sla-escalate` once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import Table, and_, or_, select, update

from ..extensions import db
from ..models import SlaPolicyVersion, Ticket, utcnow
from ..notifications import dispatch, events, worker
from . import clock, service
from .business_time import Calendar

BATCH = 200
TICKER = "sla-escalation"
EXTENSION = worker.ticker_key(TICKER)
_TICKETS = cast(Table, Ticket.__table__)
# The columns a pass reads: the row's identity, its clocks and what the subject needs.
_CLOCK_COLUMNS = [_TICKETS.c["sla_" + field.name] for field in fields(clock.Clocks)]
_READ = [_TICKETS.c.id, _TICKETS.c.created_at, _TICKETS.c.area_id, _TICKETS.c.sla_version_id]


@dataclass
class Tally:
    """What one pass did: tickets looked at, warnings and breaches mailed."""

    checked: int = 0
    warnings: int = 0
    breaches: int = 0

    def as_dict(self) -> dict[str, int]:
        """The figures as the CLI prints them."""
        return {"checked": self.checked, "warnings": self.warnings, "breaches": self.breaches}


def due(now: datetime, after: tuple[datetime, int] | None = None, limit: int = BATCH) -> Any:
    """The selection: tickets with something to send by now, in (instant, id) order.

    A range of ix_tickets_sla_escalate; `after` continues past the last row of a batch.
    """
    at = _TICKETS.c.sla_escalate_at
    query = select(*_READ, *_CLOCK_COLUMNS).where(at <= now)
    if after is not None:
        query = query.where(or_(at > after[0], and_(at == after[0], _TICKETS.c.id > after[1])))
    return query.order_by(at, _TICKETS.c.id).limit(limit)


class _Subjects:
    """Calendars and targets for the clocks, read once per pass (few areas, few versions)."""

    def __init__(self) -> None:
        self.calendars: dict[int | None, Calendar] = {}
        self.targets: dict[int, clock.Targets | None] = {}

    def of(self, row: Any) -> clock.Ticket | None:
        """What the clocks know of the ticket of a row; None if its policy version is gone."""
        if row.sla_version_id is None:
            return None
        if row.sla_version_id not in self.targets:
            version = db.session.get(SlaPolicyVersion, row.sla_version_id)
            self.targets[row.sla_version_id] = service.targets_of(version) if version else None
        targets = self.targets[row.sla_version_id]
        if targets is None:
            return None
        if row.area_id not in self.calendars:
            self.calendars[row.area_id] = service.calendar_for(row.area_id)
        return clock.Ticket(row.created_at, self.calendars[row.area_id], targets)


def _claim(row: Any, old: clock.Clocks, new: clock.Clocks) -> bool:
    """Write the new clocks if the row is still as read; whether it was.

    Not only ``sla_notified``: a reply, a pause or a re-targeting committed since the read
    changed the clocks too, and the pass must not write its older picture over them (the
    next pass reads the row again). The ticket's ``version`` stays: a warning sent is not an
    edit, and must not make someone's edit of the ticket fail as a lost race.
    """
    columns = old.columns()
    unchanged = [_TICKETS.c[key].is_not_distinct_from(value) for key, value in columns.items()]
    result = db.session.execute(
        update(_TICKETS)
        .where(
            _TICKETS.c.id == row.id,
            _TICKETS.c.sla_version_id == row.sla_version_id,
            *unchanged,
        )
        .values(**new.columns())
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _escalate(row: Any, subject: clock.Ticket, now: datetime, tally: Tally) -> None:
    """Send what one ticket has due, once; committed with the mail (handed over after)."""
    old = clock.Clocks.of(row)
    new, sent = clock.notify(old, subject, now)
    if new == old or not _claim(row, old, new):
        db.session.rollback()
        return
    # Read after the UPDATE: the event and the mail see the columns just written.
    ticket = db.session.get(Ticket, row.id, populate_existing=True)
    assert ticket is not None
    for name, kind in sent:
        service.noted(ticket, None, kind, clock=name)
        target = new.response_due if name == "response" else new.resolution_due
        assert target is not None
        events.sla_warning(ticket, name, kind, target, events.sla_recipients(ticket, kind))
        if kind == "warning":
            tally.warnings += 1
        else:
            tally.breaches += 1
    db.session.commit()
    dispatch.dispatch_committed()


def _forget(row: Any) -> None:
    """A ticket whose policy is gone has nothing to send: it leaves the job's range."""
    db.session.execute(
        update(_TICKETS)
        .where(_TICKETS.c.id == row.id, _TICKETS.c.sla_escalate_at == row.sla_escalate_at)
        .values(sla_escalate_at=None)
    )
    db.session.commit()


def run_pass(now: datetime | None = None, batch: int = BATCH) -> Tally:
    """Send every warning and breach due by now; what was done.

    Each ticket is its own transaction, so a pass never holds SQLite's write lock for
    longer than one ticket's mail takes to write.
    """
    now = now or utcnow()
    tally, subjects = Tally(), _Subjects()
    after: tuple[datetime, int] | None = None
    while True:
        rows = db.session.execute(due(now, after, batch)).all()
        db.session.rollback()  # the read's snapshot ends here: each ticket is written apart
        for row in rows:
            tally.checked += 1
            try:
                subject = subjects.of(row)
                if subject is None:
                    _forget(row)
                else:
                    _escalate(row, subject, now, tally)
            except Exception:  # noqa: BLE001 - one ticket's failure must not stop the rest
                db.session.rollback()
                current_app.logger.exception("Escalation of ticket %s failed", row.id)
        if len(rows) < batch:
            return tally
        after = (rows[-1].sla_escalate_at, rows[-1].id)


def ticker_for(app: Flask) -> worker.Ticker:
    """This process's escalation ticker, started on first use (again after a fork)."""
    return worker.ticker_for(app, TICKER, "SLA_ESCALATE_SECONDS", run_pass)


def stop(app: Flask) -> None:
    """Stop this process's ticker, if it runs (tests, shutdown)."""
    worker.stop_ticker(app, TICKER)


def init_app(app: Flask) -> None:
    """Each web process of the embedded mode starts its ticker with its first request."""
    worker.tick_without_redis(app, TICKER, "SLA_ESCALATE_SECONDS", run_pass)
