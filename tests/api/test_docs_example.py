"""docs/api.md's worked example, run as written with curl against a live server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from servicedesk.extensions import db
from servicedesk.models import Attachment, Comment, Ticket
from tests.api.conftest import issue_token
from tests.tickets.conftest import PNG

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def example_script() -> str:
    """The sh blocks of the worked example, in order."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Worked example", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, flags=re.S))


def test_worked_example_runs_as_documented(app, live_server, soporte, client_user, tmp_path):
    if not shutil.which("curl"):
        pytest.fail("curl is needed to run the documented example")
    (tmp_path / "foto.png").write_bytes(PNG)
    env = {**os.environ, "BASE": live_server, "TOKEN": issue_token(app, client_user.email)}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", example_script()],  # noqa: S603,S607
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "['soporte']" in done.stdout and "filed #1" in done.stdout
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.requester_id == client_user.id and ticket.data["categoria"] == "agua"
    assert db.session.scalars(select(Attachment)).one().filename == "foto.png"
    assert db.session.scalars(select(Comment)).one().body.startswith("Estaré en casa")
