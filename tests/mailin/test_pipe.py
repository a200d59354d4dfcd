"""`flask --app wsgi mail-in` as an MTA runs it: a process, the message on standard input,
one JSON line on standard output and the exit status the MTA acts on."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mailin.conftest import eml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded desk with the demo data (María is a client), made once for the module."""
    folder = tmp_path_factory.mktemp("pipe")
    done = flask(folder, "init", "--demo")
    assert done.returncode == 0, done.stderr
    return folder


def flask(
    folder: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run a flask command against the embedded instance in folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "SECRET_KEY", "ATTACHMENTS_DIR"}
    }
    env["SERVICEDESK_INSTANCE"] = str(folder)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def mail_in(folder: Path, raw: bytes, *args: str) -> tuple[int, dict[str, object]]:
    """Pipe one message; the exit status and the one line printed."""
    done = flask(folder, "mail-in", *args, stdin=raw)
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1, (done.stdout, done.stderr)
    return done.returncode, json.loads(lines[0])


def test_the_pipe_files_acknowledges_and_answers_with_exit_statuses(instance: Path) -> None:
    maria = eml("new_plain_es.eml", **{"client@example.org": "maria@example.com"})
    code, out = mail_in(instance, maria, "--mailbox", "soporte")
    assert code == 0 and out["action"] == "created" and out["reason"] == "new"
    number = out["ticket"]
    with sqlite3.connect(instance / "servicedesk.db") as conn:
        channel, requester = conn.execute(
            "select t.channel, u.email from tickets t join users u on u.id = t.requester_id"
            " where t.number = ?",
            (number,),
        ).fetchone()
        assert (channel, requester) == ("email", "maria@example.com")
        # The acknowledgement left (the embedded mode prints it, on standard error here).
        status = conn.execute(
            "select status from outbox where kind = 'received' and recipient = ?",
            ("maria@example.com",),
        ).fetchone()
        assert status == ("sent",)
    assert mail_in(instance, maria) == (
        0,
        {"action": "ignored", "ticket": None, "reason": "duplicate"},
    )
    assert mail_in(instance, eml("malformed_no_from.eml"))[0] == 1
    assert mail_in(instance, eml("garbage.eml"))[0] == 2
