""" "Recalcular tickets abiertos" as a background job: started over HTTP, worked by a thread of
the web process (no Redis) or by rq, followed on its progress page, taken up again from its
cursor after its worker died, one at a time; checked in the database.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL; the rq tests need TEST_REDIS_URL.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from servicedesk.extensions import db
from servicedesk.models import (
    Role,
    SlaRecompute,
    Status,
    Ticket,
    TicketEvent,
    User,
    utcnow,
)
from servicedesk.sla import admin as sla_admin
from servicedesk.sla import recompute
from tests.admin.helpers import post
from tests.conftest import csrf_token, login, make_user
from tests.factories import make_ticket
from tests.sla.test_admin_pages import POLICIES, finished_run
from tests.sla.test_admin_pages import recompute as confirm
from tests.sla.test_clock import add_policy
from tests.test_accessibility import Audit
from tests.test_mail_queue import redis_url  # noqa: F401 - the fixture

RUN_RE = re.compile(POLICIES + r"/recalcular/(\d+)$")
BATCH_STEP, LAUNCH = sla_admin.recompute_batch, recompute.launch  # the real ones


class Killed(BaseException):
    """The worker process dies here (not an error the job could catch and record)."""


@pytest.fixture
def signed_in(client, admin):
    login(client, admin.email)
    return client


@pytest.fixture
def tickets(app, client_user, soporte) -> list[int]:
    """Five open tickets and a closed one, filed before any policy: the ids of the open ones."""
    ids = [make_ticket(client_user, soporte, f"Fuga {n}").id for n in range(5)]
    make_ticket(client_user, soporte, "Ya cerrado", status=Status.CLOSED)
    add_policy("Normal", 60, 240, default=True)
    return ids


def run_of(response) -> int:
    """The run a start or a retry redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)
    found = RUN_RE.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def stored(run_id: int) -> SlaRecompute:
    db.session.rollback()
    return db.session.get(SlaRecompute, run_id, populate_existing=True)


def retargeted_per_ticket() -> dict[int, int]:
    """How many "retargeted" events by a recompute each ticket has."""
    db.session.rollback()
    return dict(
        db.session.execute(
            select(TicketEvent.ticket_id, func.count())
            .where(
                TicketEvent.kind == "sla",
                TicketEvent.data["change"].as_string() == "retargeted",
                TicketEvent.data["reason"].as_string() == "recompute",
            )
            .group_by(TicketEvent.ticket_id)
        ).all()
    )


def versions(ids: list[int]) -> list[int | None]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Ticket.sla_version_id).where(Ticket.id.in_(ids)).order_by(Ticket.id)
        )
    )


@pytest.fixture
def held(monkeypatch):
    """The web process hands runs over to nobody (as if its worker never came): their ids."""
    launched: list[int] = []
    monkeypatch.setattr(recompute, "launch", lambda _app, run: launched.append(run.id))
    return launched


def die_on_batch(monkeypatch, number: int, error: BaseException) -> None:
    """Make the worker's batch number `number` write its tickets and events, then fail."""
    calls = []

    def batch(run, plan, now):
        calls.append(1)
        looked = BATCH_STEP(run, plan, now)
        if len(calls) == number:
            raise error
        return looked

    monkeypatch.setattr(sla_admin, "recompute_batch", batch)


def killed_in_second_batch(signed_in, monkeypatch) -> int:
    """Start a run of two-ticket batches whose worker dies writing its second; its id."""
    monkeypatch.setattr("servicedesk.sla.admin.BATCH", 2)
    run_id = run_of(post(signed_in, POLICIES + "/recalcular"))
    die_on_batch(monkeypatch, 2, Killed())
    with pytest.raises(Killed):
        recompute.run_attempt(run_id, 0)
    db.session.rollback()  # what the database does with a dead connection's transaction
    return run_id


def healthy(monkeypatch) -> None:
    """From now on runs are handed over, and their batches work (the next worker is sound)."""
    monkeypatch.setattr(sla_admin, "recompute_batch", BATCH_STEP)
    monkeypatch.setattr(recompute, "launch", LAUNCH)


def stale(run_id: int) -> None:
    """Age the run's heartbeat past the staleness: its worker is gone."""
    db.session.execute(
        update(SlaRecompute)
        .where(SlaRecompute.id == run_id)
        .values(heartbeat_at=utcnow() - timedelta(minutes=10))
    )
    db.session.commit()


# ---------------------------------------------------------------- in the web process


def test_confirming_runs_the_job_and_the_page_shows_the_result(signed_in, tickets, admin):
    run = confirm(signed_in)
    assert (run.status, run.active, run.error) == ("done", None, None)
    assert (run.total_tickets, run.done_tickets, run.changed_tickets) == (5, 5, 5)
    assert run.requested_by_id == admin.id and run.cursor_id == tickets[-1]
    assert run.started_at and run.finished_at and run.attempt == 0
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}
    assert None not in versions(tickets)
    page = signed_in.get(f"{POLICIES}/recalcular/{run.id}").get_data(as_text=True)
    assert "5 de 5 tickets abiertos revisados, 5 cambiados" in page
    assert "5 tickets abiertos recibieron de nuevo su política." in page
    assert 'http-equiv="refresh"' not in page  # done: the page stops reloading
    assert 'value="5"' in page and 'max="5"' in page
    # Nothing left to change: a second run looks at every ticket and changes none.
    again = confirm(signed_in)
    assert again.id != run.id and (again.done_tickets, again.changed_tickets) == (5, 0)
    page = signed_in.get(f"{POLICIES}/recalcular/{again.id}").get_data(as_text=True)
    assert "Ningún ticket abierto cambió." in page
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}


def test_the_progress_page_while_the_job_works(app, signed_in, admin, held):
    run = SlaRecompute(
        status="running",
        active=True,
        requested_by_id=admin.id,
        total_tickets=1200,
        done_tickets=400,
        changed_tickets=37,
        started_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    db.session.add(run)
    db.session.commit()
    path = f"{POLICIES}/recalcular/{run.id}"
    page = signed_in.get(path).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "400 de 1.200 tickets abiertos revisados, 37 cambiados" in page
    assert re.search(r'<label for="recompute-progress">', page)
    assert re.search(r'<progress id="recompute-progress"[^>]*max="1200" value="400"', page)
    assert "recompute-retry" not in page
    # The policies page and the confirmation page lead to it; starting again shows it.
    for other in (POLICIES, POLICIES + "/recalcular"):
        assert f'href="{path}"' in signed_in.get(other).get_data(as_text=True), other
    assert run_of(post(signed_in, POLICIES + "/recalcular")) == run.id
    assert db.session.scalar(select(func.count()).select_from(SlaRecompute)) == 1
    assert held == []
    for language in ("es", "en"):
        post(signed_in, "/language", {"lang": language})
        page = signed_in.get(path).get_data(as_text=True)
        audit = Audit()
        audit.feed(page)
        audit.close()
        assert audit.findings() == [] and audit.lang == language
    assert "400 of 1,200 open tickets reviewed, 37 changed" in page


def test_a_queued_run_waits_for_a_worker(signed_in, tickets, held):
    run_id = run_of(post(signed_in, POLICIES + "/recalcular"))
    assert held == [run_id]
    run = stored(run_id)
    assert (run.status, run.active, run.attempt, run.heartbeat_at) == ("queued", True, 0, None)
    page = signed_in.get(f"{POLICIES}/recalcular/{run_id}").get_data(as_text=True)
    assert "Esperando que un proceso comience el recálculo" in page
    assert '<meta http-equiv="refresh" content="2">' in page


def test_a_run_whose_worker_died_after_a_batch_goes_on_from_its_cursor(
    app, signed_in, tickets, held, monkeypatch
):
    # The worker commits its first batch, writes the second, and dies before committing it.
    run_id = killed_in_second_batch(signed_in, monkeypatch)
    run = stored(run_id)
    assert (run.status, run.cursor_id, run.done_tickets, run.changed_tickets) == (
        "running",
        tickets[1],
        2,
        2,
    )
    assert retargeted_per_ticket() == {tickets[0]: 1, tickets[1]: 1}  # the second batch: none
    path = f"{POLICIES}/recalcular/{run_id}"
    page = signed_in.get(path).get_data(as_text=True)
    assert "recompute-retry" not in page  # its heartbeat is fresh: it may still be working
    stale(run_id)
    page = signed_in.get(path).get_data(as_text=True)
    assert 'data-status="stopped"' in page and "recompute-retry" in page
    assert 'http-equiv="refresh"' not in page
    healthy(monkeypatch)
    assert run_of(post(signed_in, path + "/reintentar")) == run_id
    run = finished_run(run_id)
    assert (run.status, run.attempt, run.done_tickets, run.changed_tickets) == ("done", 1, 5, 5)
    assert (run.total_tickets, run.cursor_id) == (5, tickets[-1])
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}


def test_a_new_start_takes_up_the_run_whose_worker_died(app, signed_in, tickets, held, monkeypatch):
    run_id = killed_in_second_batch(signed_in, monkeypatch)
    stale(run_id)
    healthy(monkeypatch)
    assert run_of(post(signed_in, POLICIES + "/recalcular")) == run_id
    run = finished_run(run_id)
    assert (run.status, run.attempt, run.changed_tickets) == ("done", 1, 5)
    assert db.session.scalar(select(func.count()).select_from(SlaRecompute)) == 1
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}


def test_a_worker_taken_for_dead_never_applies_a_batch_after_the_resume(
    app, signed_in, tickets, held, monkeypatch
):
    run_id = killed_in_second_batch(signed_in, monkeypatch)
    stale(run_id)
    healthy(monkeypatch)
    assert recompute.sweep() == 1  # the worker's chore takes it up (no Redis: a thread here)
    run = finished_run(run_id)
    assert (run.status, run.attempt) == ("done", 1)
    # The first worker was only slow: its next batch finds the run no longer its own.
    with pytest.raises(recompute.Superseded):
        recompute.step(run_id, 0, sla_admin.recompute_plan())
    db.session.rollback()
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}
    assert stored(run_id).done_tickets == 5


def test_a_failed_run_shows_why_and_try_again_goes_on(app, signed_in, tickets, held, monkeypatch):
    monkeypatch.setattr("servicedesk.sla.admin.BATCH", 2)
    run_id = run_of(post(signed_in, POLICIES + "/recalcular"))
    die_on_batch(monkeypatch, 2, RuntimeError("disco <lleno>"))
    recompute.run_attempt(run_id, 0)
    run = stored(run_id)
    assert (run.status, run.active, run.error, run.cursor_id) == (
        "failed",
        None,
        "disco <lleno>",
        tickets[1],
    )
    assert retargeted_per_ticket() == {tickets[0]: 1, tickets[1]: 1}
    path = f"{POLICIES}/recalcular/{run_id}"
    page = signed_in.get(path).get_data(as_text=True)
    assert "El recálculo falló: disco &lt;lleno&gt;" in page
    assert "recompute-retry" in page and 'http-equiv="refresh"' not in page
    assert "recompute-running" not in signed_in.get(POLICIES).get_data(as_text=True)
    healthy(monkeypatch)
    assert run_of(post(signed_in, path + "/reintentar")) == run_id
    run = finished_run(run_id)
    assert (run.status, run.attempt, run.error, run.done_tickets) == ("done", 1, None, 5)
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}
    # A finished run is not taken up again.
    response = post(signed_in, path + "/reintentar")
    assert run_of(response) == run_id and stored(run_id).attempt == 1


def test_a_batch_the_database_gave_up_is_tried_again(app, signed_in, tickets, held, monkeypatch):
    """A deadlock (PostgreSQL) or a lock wait past the busy timeout (SQLite) costs one try."""
    monkeypatch.setattr("servicedesk.sla.admin.BATCH", 2)
    run_id = run_of(post(signed_in, POLICIES + "/recalcular"))
    die_on_batch(monkeypatch, 2, OperationalError("UPDATE tickets", {}, Exception("deadlock")))
    recompute.run_attempt(run_id, 0)
    run = stored(run_id)
    assert (run.status, run.attempt, run.done_tickets, run.changed_tickets) == ("done", 0, 5, 5)
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}


def test_a_failed_run_waits_while_another_is_active(app, signed_in, tickets, held, monkeypatch):
    first = run_of(post(signed_in, POLICIES + "/recalcular"))
    die_on_batch(monkeypatch, 1, RuntimeError("boom"))
    recompute.run_attempt(first, 0)
    assert stored(first).status == "failed"
    second = run_of(post(signed_in, POLICIES + "/recalcular"))
    assert second != first and stored(second).status == "queued"
    response = post(signed_in, f"{POLICIES}/recalcular/{first}/reintentar")
    assert run_of(response) == first
    assert (stored(first).status, stored(first).attempt) == ("failed", 0)  # one at a time


# ---------------------------------------------------------------- one at a time


def test_two_administrators_confirming_at_once_start_one_run(app, tickets, admin, held):
    # Held: the run is worked after both answers, so the second confirmation cannot come
    # after a finished run (which would rightly start a new one).
    other = make_user(Role.ADMIN, "otra-admin@example.org")
    clients, tokens = [], []
    for person in (admin, other):
        c = app.test_client()
        login(c, person.email)
        tokens.append(csrf_token(c.get(POLICIES + "/recalcular").get_data(as_text=True)))
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    locations: list[str] = []

    def confirm_at_once(c, token):
        with app.app_context():
            barrier.wait(timeout=30)
            response = c.post(POLICIES + "/recalcular", data={"csrf_token": token})
            locations.append(f"{response.status_code} {response.headers.get('Location')}")

    threads = [
        threading.Thread(target=confirm_at_once, args=pair)
        for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(locations) == 2 and len(set(locations)) == 1, locations
    db.session.rollback()
    runs = db.session.scalars(select(SlaRecompute)).all()
    assert len(runs) == 1 and held == [runs[0].id]  # handed over once
    recompute.run_attempt(runs[0].id, 0)
    run = finished_run(runs[0].id)
    assert (run.status, run.changed_tickets) == ("done", 5)
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}


def test_the_database_refuses_a_second_active_run(app, admin):
    row = {"total_tickets": 0, "done_tickets": 0, "changed_tickets": 0, "cursor_id": 0}
    row |= {"attempt": 0, "created_at": utcnow()}
    table = SlaRecompute.__table__
    with db.engine.begin() as conn:
        conn.execute(insert(table).values(status="running", active=True, **row))
        conn.execute(insert(table).values(status="done", active=None, **row))
        conn.execute(insert(table).values(status="failed", active=None, **row))
    for status, active in (("queued", True), ("queued", None), ("done", True), ("running", False)):
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(insert(table).values(status=status, active=active, **row))
    assert db.session.scalar(select(func.count()).select_from(SlaRecompute)) == 3


# ---------------------------------------------------------------- on rq


@pytest.fixture
def on_rq(app, redis_url, monkeypatch):  # noqa: F811 - the fixture imported above
    """Redis configured, the export queue named for this test alone: that queue."""
    from redis import Redis
    from rq import Queue

    name = f"sd-test-exports-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "EXPORT_QUEUE", name)
    queue = Queue(name, connection=Redis.from_url(redis_url))
    yield queue
    queue.delete(delete_jobs=True)


def work(queue) -> None:
    """Drain the queue with a real rq worker in burst mode (the job runs in this process)."""
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_with_redis_the_run_goes_on_the_export_queue(app, signed_in, tickets, on_rq):
    from rq.job import Job

    run_id = run_of(post(signed_in, POLICIES + "/recalcular"))
    run = stored(run_id)
    assert (run.status, run.heartbeat_at) == ("queued", None)  # queued, not taken
    assert len(on_rq.job_ids) == 1
    assert Job.fetch(on_rq.job_ids[0], connection=on_rq.connection).args == (run_id, 0)
    work(on_rq)
    run = stored(run_id)
    assert (run.status, run.done_tickets, run.changed_tickets) == ("done", 5, 5)
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}


def test_with_redis_the_sweep_takes_up_dead_and_lost_runs(
    app, signed_in, tickets, on_rq, monkeypatch
):
    monkeypatch.setattr("servicedesk.sla.admin.BATCH", 2)
    run_id = run_of(post(signed_in, POLICIES + "/recalcular"))
    on_rq.empty()  # Redis restarted without its data: the job is gone, the run says queued
    assert recompute.sweep() == 1 and len(on_rq.job_ids) == 1
    assert recompute.sweep() == 0  # the job is there now
    die_on_batch(monkeypatch, 2, Killed())
    work(on_rq)  # rq records the job failed; the run still says running, as a killed worker
    db.session.rollback()
    assert (stored(run_id).status, stored(run_id).cursor_id) == ("running", tickets[1])
    on_rq.empty()
    stale(run_id)
    healthy(monkeypatch)
    assert recompute.sweep() == 1 and len(on_rq.job_ids) == 1
    work(on_rq)
    run = stored(run_id)
    assert (run.status, run.attempt, run.done_tickets, run.changed_tickets) == ("done", 1, 5, 5)
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}


def test_the_recompute_job_records_its_requester_on_each_event(signed_in, tickets, admin):
    confirm(signed_in)
    actors = set(
        db.session.scalars(
            select(TicketEvent.actor_id).where(
                TicketEvent.data["reason"].as_string() == "recompute"
            )
        )
    )
    assert actors == {admin.id}
    assert db.session.get(User, admin.id) is not None


# ---------------------------------------------------------------- the command line


def test_flask_sla_recompute_works_a_run_in_the_foreground(app, tickets, monkeypatch):
    monkeypatch.setattr("servicedesk.sla.admin.BATCH", 2)
    result = app.test_cli_runner().invoke(args=["sla-recompute"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.splitlines()[-1])
    run = stored(line["run"])
    assert line == {
        "run": run.id,
        "status": "done",
        "total": 5,
        "done": 5,
        "changed": 5,
        "error": None,
    }
    assert run.requested_by_id is None and run.active is None
    assert retargeted_per_ticket() == {ticket_id: 1 for ticket_id in tickets}
    again = app.test_cli_runner().invoke(args=["sla-recompute"])
    assert again.exit_code == 0 and json.loads(again.output.splitlines()[-1])["changed"] == 0


def test_flask_sla_recompute_leaves_a_working_run_alone(app, signed_in, tickets, held):
    run_id = run_of(post(signed_in, POLICIES + "/recalcular"))
    db.session.execute(
        update(SlaRecompute).where(SlaRecompute.id == run_id).values(heartbeat_at=utcnow())
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sla-recompute"])
    assert result.exit_code == 1
    assert json.loads(result.output.splitlines()[0])["status"] == "queued"
    assert retargeted_per_ticket() == {}
    stale(run_id)  # its worker died: the command takes it up and finishes it
    result = app.test_cli_runner().invoke(args=["sla-recompute"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["run"] == run_id
    assert (stored(run_id).status, stored(run_id).attempt) == ("done", 1)
