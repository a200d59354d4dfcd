"""Background exports survive their worker's death, a Redis outage, and keep out of mail's way."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Export, Role, Status, utcnow
from servicedesk.reports import jobs
from tests.conftest import (
    csrf_token,
    free_port,
    login,
    make_user,
    post_form,
    require_service,
)
from tests.factories import make_ticket
from tests.test_mail_queue import redis_url  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent

# A worker busy with a long export: each row takes argv[2] seconds, so the test can stop it.
SLOW_WORKER = """
import sys, time
from servicedesk import jobs
from servicedesk.reports import data

rows = data.export_rows

def slow(*args, **kwargs):
    for row in rows(*args, **kwargs):
        yield row
        time.sleep(float(sys.argv[2]))

data.export_rows = slow
jobs.export_job(int(sys.argv[1]), 0)  # what rq's work horse calls
"""


@pytest.fixture(autouse=True)
def own_folder(app, tmp_path, monkeypatch):
    """An attachments folder of this test's own, so its exports folder starts empty."""
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))


@pytest.fixture
def tickets(app, soporte, client_user):
    """Three tickets to export (one closed)."""
    make_ticket(
        client_user,
        soporte,
        "Pintar el lobby",
        status=Status.CLOSED,
        closure_count=1,
        closed_at=utcnow(),
    )
    make_ticket(client_user, soporte, "Fuga de agua")
    make_ticket(client_user, soporte, "Luz del pasillo")


def signed_in(app, user):
    """A test client signed in as this user."""
    c = app.test_client()
    login(c, user.email)
    return c


def child_env(app, **extra: str) -> dict[str, str]:
    """The environment of a worker process pointed at the test's database and folders."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "RQ_QUEUE"}}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        ATTACHMENTS_DIR=app.config["ATTACHMENTS_DIR"],
        SERVICEDESK_INSTANCE=app.instance_path,
        SECRET_KEY=app.config["SECRET_KEY"],
        **extra,
    )
    return env


def wait_for(check, seconds: float = 60.0):
    """Poll until check() is truthy; return its value."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        db.session.rollback()
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def finished(c, export_id: int) -> dict:
    """Follow the progress (as the page's script does) until the export ends."""
    return wait_for(
        lambda: (
            (p := c.get(f"/informes/exportaciones/{export_id}.json").get_json())["status"]
            in ("done", "failed")
            and p
        )
    )


def rows_in(c, url: str) -> int:
    """Download a finished Excel export and count the rows of its first sheet."""
    response = c.get(url)
    assert response.status_code == 200
    content = response.data
    response.close()
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].max_row


def files(app) -> list[str]:
    """What the export folder holds."""
    folder = Path(app.config["ATTACHMENTS_DIR"]) / "exports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def writing(app) -> list[Path]:
    """openpyxl's scratch files in the export runs' work folders (rows are being written)."""
    return sorted((Path(app.config["ATTACHMENTS_DIR"]) / "exports").glob("*.work/openpyxl.*"))


def test_dead_workers_export_is_failed_cleaned_and_retried(
    app, admin, tickets, monkeypatch, tmp_path
):
    export = Export(user_id=admin.id, kind="xlsx", query="", locale="es", total_rows=3)
    db.session.add(export)  # as the request that queued it left it
    db.session.commit()
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-c", SLOW_WORKER, str(export.id), "60"],
            cwd=ROOT,
            env=child_env(app),
            stdout=out,
            stderr=out,
        )
    try:
        # Mid-export: rows are being written (openpyxl's scratch exists). Starting the worker
        # takes seconds of imports.
        wait_for(
            lambda: db.session.get(Export, export.id).status == "running" and writing(app),
            seconds=180,
        )
        work = writing(app)[0].parent
        assert db.session.get(Export, export.id).heartbeat_at is not None
    finally:
        worker.send_signal(signal.SIGKILL)  # the worker dies mid-export, no cleanup runs
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL, log.read_text()[-2000:]
    db.session.rollback()
    assert db.session.get(Export, export.id).status == "running"
    # What the death leaves: the file being written and openpyxl's scratch copy of the sheet
    # (in the export's folder, not in the system's temp folder where nothing would find it).
    assert work.name.endswith(".work")
    assert sorted(p.name.split(".")[0] for p in work.iterdir()) == ["export", "openpyxl"]

    monkeypatch.setitem(app.config, "EXPORT_STALE_SECONDS", 1)
    time.sleep(1.2)  # no heartbeat since the kill
    c = signed_in(app, admin)
    page = c.get(f"/informes/exportaciones/{export.id}").get_data(as_text=True)
    assert "se detuvo antes de acabar" in page and 'data-testid="export-retry"' in page
    assert c.get(f"/informes/exportaciones/{export.id}.json").get_json()["status"] == "failed"
    db.session.expire_all()
    # Pages only read: the row is recorded failed by the retry (or the next sweep).
    assert db.session.get(Export, export.id).status == "running"

    retry = f"/informes/exportaciones/{export.id}/reintentar"
    assert c.post(retry).status_code == 400  # a button with a CSRF token, nothing else
    response = c.post(retry, data={"csrf_token": csrf_token(page)})
    assert response.headers["Location"] == f"/informes/exportaciones/{export.id}"
    assert not work.exists()  # the dead attempt's partial file went with it
    progress = finished(c, export.id)
    assert progress["status"] == "done" and progress["done"] == 3
    assert rows_in(c, progress["download"]) == 4  # the header and every ticket
    db.session.expire_all()
    assert (db.session.get(Export, export.id).attempt, len(files(app))) == (1, 1)
    assert not files(app)[0].endswith(".work")
    # A second click (a retry of an export that is not failed) changes nothing.
    c.post(retry, data={"csrf_token": csrf_token(page)})
    db.session.expire_all()
    assert (db.session.get(Export, export.id).status, len(files(app))) == ("done", 1)


def test_a_worker_thought_dead_never_overwrites_the_retry(
    app, admin, tickets, monkeypatch, tmp_path
):
    """A frozen worker (SIGSTOP) is seen dead and retried; thawed, it gives up on its own."""
    export = Export(user_id=admin.id, kind="xlsx", query="", locale="es", total_rows=3)
    db.session.add(export)
    db.session.commit()
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-c", SLOW_WORKER, str(export.id), "1"],
            cwd=ROOT,
            env=child_env(app),
            stdout=out,
            stderr=out,
        )
    try:
        wait_for(
            lambda: db.session.get(Export, export.id).status == "running" and files(app),
            seconds=180,
        )  # the worker's start: importing the app takes seconds
        worker.send_signal(signal.SIGSTOP)
        monkeypatch.setitem(app.config, "EXPORT_STALE_SECONDS", 1)
        time.sleep(1.2)
        c = signed_in(app, admin)
        page = c.get(f"/informes/exportaciones/{export.id}").get_data(as_text=True)
        c.post(
            f"/informes/exportaciones/{export.id}/reintentar", data={"csrf_token": csrf_token(page)}
        )
        monkeypatch.setitem(app.config, "EXPORT_STALE_SECONDS", 120)
        progress = finished(c, export.id)
        assert progress["status"] == "done"
        retried = files(app)
        worker.send_signal(signal.SIGCONT)
        assert worker.wait(timeout=60) == 0, log.read_text()[-2000:]
    finally:
        worker.kill()
        worker.wait(timeout=30)
    db.session.expire_all()
    assert (
        db.session.get(Export, export.id).status,
        db.session.get(Export, export.id).attempt,
        db.session.get(Export, export.id).error,
    ) == ("done", 1, None)
    assert files(app) == retried and len(retried) == 1  # the old run removed its own folder
    assert rows_in(c, progress["download"]) == 4


def test_a_new_export_sweeps_dead_ones_nobody_looks_at(app, admin, tickets, monkeypatch):
    """A worker death leaves a running row with an old heartbeat and a partial file."""
    other = make_user(Role.ADMIN, "other-admin@example.org")
    folder = Path(app.config["ATTACHMENTS_DIR"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deadbeef.work").mkdir()
    (folder / "deadbeef.work" / "export").write_bytes(b"PK\x03\x04 half a workbook")
    db.session.add(
        Export(
            user_id=other.id,
            kind="xlsx",
            status="running",
            stored_name="deadbeef",
            heartbeat_at=utcnow() - timedelta(minutes=10),
            total_rows=9,
        )
    )
    db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX", 2)
    c = signed_in(app, admin)
    response = post_form(c, "/informes/excel", {})
    assert response.status_code == 302
    mine = db.session.scalars(select(Export).where(Export.user_id == admin.id)).one()
    assert finished(c, mine.id)["status"] == "done"
    dead = db.session.scalars(select(Export).where(Export.user_id == other.id)).one()
    assert (dead.status, dead.error) == ("failed", jobs.WORKER_STOPPED)
    assert files(app) == [mine.stored_name]


def test_redis_down_at_start_runs_the_export_in_process(app, admin, tickets, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX", 2)
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    c = signed_in(app, admin)
    page = c.get("/informes/excel")
    assert page.status_code == 200 and db.session.scalars(select(Export)).all() == []
    response = c.post(
        "/informes/excel", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert response.status_code == 302
    export = db.session.scalars(select(Export)).one()
    progress = finished(c, export.id)
    assert progress["status"] == "done" and progress["done"] == 3
    assert rows_in(c, progress["download"]) == 4


def test_exports_go_on_their_own_queue_and_the_worker_takes_mail_first(
    app,
    admin,
    tickets,
    client_user,
    redis_url,  # noqa: F811 - the fixture imported above
    monkeypatch,
    mailbox,
):
    from redis import Redis
    from rq import Queue
    from rq.job import Job

    suffix = uuid.uuid4().hex[:8]
    mail_queue, export_queue = f"sd-test-mail-{suffix}", f"sd-test-exports-{suffix}"
    for key, value in (
        ("REDIS_URL", redis_url),
        ("RQ_QUEUE", mail_queue),
        ("EXPORT_QUEUE", export_queue),
        ("EXPORT_INLINE_MAX", 2),
    ):
        monkeypatch.setitem(app.config, key, value)
    conn = Redis.from_url(redis_url)
    queues = [Queue(name, connection=conn) for name in (mail_queue, export_queue)]
    try:
        c = signed_in(app, admin)
        assert post_form(c, "/informes/excel", {}).status_code == 302
        export = db.session.scalars(select(Export)).one()
        assert queues[0].job_ids == [] and len(queues[1].job_ids) == 1
        job_id = queues[1].job_ids[0]
        assert Job.fetch(job_id, connection=conn).args == (export.id, 0)
        assert (export.status, export.heartbeat_at) == ("pending", None)  # queued, not taken
        post_form(app.test_client(), "/password/forgot", {"email": client_user.email})
        assert len(queues[0].job_ids) == 1  # the reset mail, queued after the export

        worker = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
            cwd=ROOT,
            env=child_env(
                app,
                REDIS_URL=redis_url,
                RQ_QUEUE=mail_queue,
                EXPORT_QUEUE=export_queue,
                MAIL_SERVER="127.0.0.1",
                MAIL_PORT=str(app.config["MAIL_PORT"]),
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stderr[-2000:]
        mail_job = Job.fetch(queues[0].finished_job_registry.get_job_ids()[0], connection=conn)
        export_job = Job.fetch(job_id, connection=conn)
        assert mail_job.ended_at <= export_job.started_at  # mail first
        assert len(mailbox.to(client_user.email)) == 1
        progress = finished(c, export.id)
        assert progress["status"] == "done" and rows_in(c, progress["download"]) == 4
    finally:
        for queue in queues:
            queue.delete(delete_jobs=True)


def test_an_export_whose_job_redis_lost_is_queued_again_by_the_worker(
    app, admin, tickets, tmp_path, monkeypatch
):
    """Redis killed -9 (no persistence) with the export's job queued: the worker still runs it."""
    from tests.test_mail_faults import RedisServer

    binary = shutil.which("redis-server")
    if binary is None:
        require_service("redis", "redis-server is not installed")
    server = RedisServer(binary, tmp_path)
    server.start()
    queue = f"sd-test-exports-{uuid.uuid4().hex[:8]}"
    for key, value in (
        ("REDIS_URL", server.url),
        ("EXPORT_QUEUE", queue),
        ("EXPORT_INLINE_MAX", 2),
    ):
        monkeypatch.setitem(app.config, key, value)
    try:
        c = signed_in(app, admin)
        assert post_form(c, "/informes/excel", {}).status_code == 302
        export = db.session.scalars(select(Export)).one()
        server.kill()
        server.start()  # empty: the job is gone, the export still says pending
        db.session.refresh(export)
        assert (export.status, export.heartbeat_at) == ("pending", None)
        worker = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
            cwd=ROOT,
            env=child_env(
                app,
                REDIS_URL=server.url,
                EXPORT_QUEUE=queue,
                RQ_QUEUE=f"{queue}-mail",
                MAIL_RELAY_SECONDS="0",
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stderr[-2000:]
        progress = finished(c, export.id)
        assert progress["status"] == "done" and rows_in(c, progress["download"]) == 4
    finally:
        server.kill()
