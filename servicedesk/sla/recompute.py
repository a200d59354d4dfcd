""" "Recalcular tickets abiertos" as a job: on rq's export queue, or in a thread without Redis.

The request only writes a queued run (sla_recomputes) and hands it over; the job works it a
batch at a time (admin.recompute_batch), committing each batch's tickets, events, cursor
and progress in one transaction. A run whose heartbeat (written by each batch) is older than
EXPORT_STALE_SECONDS lost its worker; it is taken up again from its cursor as a new attempt,
by `flask worker`'s sweep, by the next start or by "Try again". One run at a time: the
database refuses a second active row (SlaRecompute.active is unique).
"""

from __future__ import annotations

import time

from flask import Flask, current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import queues
from ..db_setup import write_transactions
from ..extensions import db, running_app
from ..models import RECOMPUTE_ACTIVE, RecomputeStatus, SlaRecompute, User, utcnow
from ..queues import QueueName
from . import admin

JOB_TIMEOUT = 6 * 3600  # seconds rq lets one attempt run; a killed one is resumed, not redone
# A batch that lost a deadlock (PostgreSQL) or waited out SQLite's busy timeout is tried again
# this many times, after a short pause, before the run is marked failed.
BATCH_TRIES = 3


class Superseded(Exception):
    """The run moved on while this attempt worked (resumed elsewhere): stop writing."""


# ---------------------------------------------------------------- reading


def active_run() -> SlaRecompute | None:
    """The run queued or running now, if any (there is at most one)."""
    return db.session.scalar(
        select(SlaRecompute).where(SlaRecompute.status.in_(RECOMPUTE_ACTIVE)).limit(1)
    )


def is_stopped(run: SlaRecompute) -> bool:
    """Tell whether the process working on a run stopped beating (it died mid-run).

    A run queued on rq has no heartbeat until a worker takes it, so a long queue is never
    taken for a dead worker.
    """
    return (
        run.status in RECOMPUTE_ACTIVE
        and run.heartbeat_at is not None
        and run.heartbeat_at < queues.stale_before()
    )


# ---------------------------------------------------------------- starting and resuming


def start(actor: User | None) -> tuple[SlaRecompute, bool]:
    """The run to follow: a new queued one, or the one already queued or running.

    The one already active is taken up again when its worker died. Returns the run and
    whether it has a new attempt to launch (after the commit). Flushes. The actor (None
    from the command line) is recorded on the run and on each ticket's event.
    """
    current = active_run()
    if current is not None:
        return current, resume(current)
    run = SlaRecompute(
        status=RecomputeStatus.QUEUED,
        active=True,
        requested_by_id=actor.id if actor is not None else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:
        # Another start got in first (its row was not committed when we looked): follow it.
        current = active_run()
        if current is None:
            raise
        return current, False
    return run, True


def resume(run: SlaRecompute) -> bool:
    """Queue a failed or stopped run again as its next attempt, to go on from its cursor.

    False when it is neither (done, or its worker is alive), or when another run became
    active meanwhile (one at a time). Flushes.
    """
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                update(SlaRecompute)
                .where(
                    SlaRecompute.id == run.id,
                    SlaRecompute.attempt == run.attempt,
                    or_(
                        SlaRecompute.status == RecomputeStatus.FAILED,
                        and_(
                            SlaRecompute.status.in_(RECOMPUTE_ACTIVE),
                            SlaRecompute.heartbeat_at < queues.stale_before(),
                        ),
                    ),
                )
                .values(
                    status=RecomputeStatus.QUEUED,
                    active=True,
                    attempt=SlaRecompute.attempt + 1,
                    heartbeat_at=None,
                    error=None,
                    finished_at=None,
                )
            )
    except IntegrityError:
        return False
    db.session.refresh(run)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _job_id(run_id: int, attempt: int) -> str:
    """The rq job of one attempt: known, so the sweep can tell whether Redis still holds it."""
    return f"sla-recompute-{run_id}-{attempt}"


def _enqueue(run_id: int, attempt: int) -> None:
    """Put one attempt on the export queue (raises RedisError/OSError when Redis is away)."""
    queues.queue(QueueName.EXPORTS).enqueue(
        "servicedesk.jobs.recompute_job",
        run_id,
        attempt,
        job_id=_job_id(run_id, attempt),
        job_timeout=JOB_TIMEOUT,
    )


def launch(app: Flask, run: SlaRecompute) -> None:
    """Queue the run's attempt on rq, or work it in a thread of this process."""
    run_id, attempt = run.id, run.attempt

    def beat() -> None:
        with db.engine.begin() as conn:
            conn.execute(
                update(SlaRecompute)
                .where(
                    SlaRecompute.id == run_id,
                    SlaRecompute.attempt == attempt,
                    SlaRecompute.status == RecomputeStatus.QUEUED,
                )
                .values(heartbeat_at=utcnow())
            )

    queues.on_rq_or_in_thread(
        app,
        f"sla-recompute-{run_id}",
        lambda: _enqueue(run_id, attempt),
        beat,
        lambda: run_attempt(run_id, attempt),
    )


def sweep() -> int:
    """`flask worker`'s chore: take up runs whose worker died, and queue again those a Redis
    restart lost (queued, no heartbeat, no job in Redis). Commits; counts both."""
    app = running_app()
    count = 0
    for run in db.session.scalars(
        select(SlaRecompute).where(SlaRecompute.status.in_(RECOMPUTE_ACTIVE))
    ).all():
        if is_stopped(run) and resume(run):
            db.session.commit()
            launch(app, run)
            count += 1
        elif (
            run.status == RecomputeStatus.QUEUED
            and run.heartbeat_at is None
            and app.config.get("REDIS_URL")
            and queues.job_lost(_job_id(run.id, run.attempt))
        ):
            _enqueue(run.id, run.attempt)
            count += 1
    db.session.commit()
    return count


# ---------------------------------------------------------------- working


def _claim(run_id: int, attempt: int) -> bool:
    """Take a queued attempt for this worker (only one worker takes it)."""
    now = utcnow()
    result = db.session.execute(
        update(SlaRecompute)
        .where(
            SlaRecompute.id == run_id,
            SlaRecompute.attempt == attempt,
            SlaRecompute.status == RecomputeStatus.QUEUED,
        )
        .values(
            status=RecomputeStatus.RUNNING,
            heartbeat_at=now,
            started_at=func.coalesce(SlaRecompute.started_at, now),
        )
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _this_attempt(run_id: int, attempt: int) -> SlaRecompute:
    """The run, locked for this transaction, while this attempt is the one running it."""
    run = db.session.scalar(
        select(SlaRecompute)
        .where(
            SlaRecompute.id == run_id,
            SlaRecompute.attempt == attempt,
            SlaRecompute.status == RecomputeStatus.RUNNING,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if run is None:
        raise Superseded(f"recompute {run_id} attempt {attempt} was superseded")
    return run


def _scope(run_id: int, attempt: int) -> None:
    """Fix the tickets a run looks at when it first starts: open ones up to the newest id."""
    run = _this_attempt(run_id, attempt)
    if run.until_id is None:
        run.until_id, run.total_tickets = admin.recompute_scope()
    db.session.commit()


def step(run_id: int, attempt: int, plan: admin.RecomputePlan) -> bool:
    """One batch in one transaction: its tickets, events, cursor, progress and heartbeat.

    Returns whether tickets were left to look at. Raises Superseded if the run is no longer
    this attempt's: the batch is then not applied.
    """
    run = _this_attempt(run_id, attempt)
    now = utcnow()
    run.heartbeat_at = now
    looked = admin.recompute_batch(run, plan, now)
    db.session.commit()
    return looked > 0


def _step_with_retries(run_id: int, attempt: int, plan: admin.RecomputePlan) -> bool:
    """A batch, tried again when the database gave it up (a deadlock, a lock wait too long).

    The failed try was rolled back whole, so trying again never applies anything twice.
    """
    for tried in range(1, BATCH_TRIES + 1):
        try:
            return step(run_id, attempt, plan)
        except OperationalError:
            db.session.rollback()
            if tried == BATCH_TRIES:
                raise
            current_app.logger.warning("recompute %s: batch given up, trying again", run_id)
            time.sleep(0.5 * tried)
    return False  # not reached: the last try returns or raises


def _finish(run_id: int, attempt: int, status: RecomputeStatus, error: str | None) -> None:
    """Record an attempt's outcome, unless the run moved on meanwhile."""
    db.session.execute(
        update(SlaRecompute)
        .where(
            SlaRecompute.id == run_id,
            SlaRecompute.attempt == attempt,
            SlaRecompute.status == RecomputeStatus.RUNNING,
        )
        .values(status=status, active=None, error=error, finished_at=utcnow())
    )
    db.session.commit()


def run_attempt(run_id: int, attempt: int) -> None:
    """Work one attempt of a run to its end (done), or until it fails (failed, with why).

    Every transaction takes SQLite's write lock at its BEGIN (the web process writes too).
    """
    with write_transactions():
        if not _claim(run_id, attempt):
            return  # a job of an earlier attempt, or one another worker took
        try:
            _scope(run_id, attempt)
            plan = admin.recompute_plan()
            while _step_with_retries(run_id, attempt, plan):
                pass
        except Superseded:
            db.session.rollback()
            return
        except Exception as exc:  # noqa: BLE001 - the administrator sees it, the log the cause
            db.session.rollback()
            current_app.logger.exception("recompute %s failed", run_id)
            _finish(run_id, attempt, RecomputeStatus.FAILED, str(exc)[:500] or type(exc).__name__)
            return
        _finish(run_id, attempt, RecomputeStatus.DONE, None)


def outcome(run_id: int) -> dict[str, object]:
    """A run as stored now, for the command line's JSON line."""
    run = db.session.get(SlaRecompute, run_id, populate_existing=True)
    assert run is not None, "a run is never deleted"
    return {
        "run": run.id,
        "status": run.status,
        "total": run.total_tickets,
        "done": run.done_tickets,
        "changed": run.changed_tickets,
        "error": run.error,
    }
