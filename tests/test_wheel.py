"""A built wheel runs outside the checkout: templates, static files, migrations, translations."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the wheel is built from: a copy of these, so that setuptools' build/ and *.egg-info
# land in the temporary folder and never in the checkout.
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "servicedesk",
    "forms_engine",
    "templates",
    "migrations",
)
# Variables that would point the installed desk back at the checkout or at shared services.
SCRUBBED = {
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "MAIL_SERVER",
    "SECRET_KEY",
    "SERVICEDESK_ENV",
    "SERVICEDESK_INSTANCE",
    "FLASK_APP",
}

pytestmark = pytest.mark.packaging


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run one step and fail the test with its output if it fails."""
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp: Path) -> Path:
    """Build the wheel from a copy of the sources and return its path."""
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(
                origin, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(origin, src / name)
    # Build isolation on: pyproject.toml asks for a newer setuptools than a dev venv may hold,
    # and pip fetches it from the configured package index.
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp / "dist"),
            str(src),
        ],
        cwd=tmp,
    )
    (wheel,) = (tmp / "dist").glob("servicedesk-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> dict[str, str]:
    """Install the wheel and its dependencies into a fresh venv; return the env to run it."""
    run([sys.executable, "-m", "venv", str(venv)], cwd=venv.parent)
    run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        cwd=venv.parent,
    )
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def fetch(url: str) -> tuple[int, bytes]:
    """GET one page of the local server."""
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, float]]]:
    """Build, install, init and serve the wheel; yield its URL, site-packages and timings."""
    checkout_before = {p.name for p in ROOT.iterdir()}
    timings: dict[str, float] = {}
    started = time.monotonic()
    wheel = build_wheel(tmp_path)
    timings["build"] = time.monotonic() - started
    started = time.monotonic()
    venv = tmp_path / "venv"
    env = install(wheel, venv)
    timings["install"] = time.monotonic() - started
    # A working folder and instance outside the checkout: nothing there to fall back on.
    work = tmp_path / "work"
    work.mkdir()
    env["SERVICEDESK_INSTANCE"] = str(tmp_path / "instance")
    located = run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import servicedesk; print(servicedesk.__file__, servicedesk.INSTALLED)",
        ],
        cwd=work,
        env=env,
    ).stdout.split()
    package = Path(located[0]).parent
    assert package.is_relative_to(venv) and located[1] == "True", located
    started = time.monotonic()
    init = run(
        [str(venv / "bin" / "flask"), "--app", "servicedesk", "init", "--demo"],
        cwd=work,
        env=env,
        timeout=120,
    )
    timings["init"] = time.monotonic() - started
    assert "admin@example.com" in init.stdout
    assert (tmp_path / "instance" / "servicedesk.db").is_file()
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                str(venv / "bin" / "gunicorn"),
                "-w",
                "1",
                "-b",
                "127.0.0.1:0",
                "servicedesk:create_app()",
            ],
            cwd=work,
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        url = ""
        deadline = time.monotonic() + 60
        # Port 0: gunicorn picks a free port and logs it, so no other test can take it first.
        while not url and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log_path.read_text())
            url = found.group(1) if found else ""
        assert url, log_path.read_text()
        yield url, package, timings
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        created = {p.name for p in ROOT.iterdir()} - checkout_before
        assert not created & {"build", "dist", "servicedesk.egg-info"}, created


def test_installed_wheel_serves_the_desk_outside_the_checkout(server):
    url, package, timings = server
    status, page = fetch(f"{url}/login")
    html = page.decode()
    assert status == 200
    assert '<html lang="es">' in html
    # English in the template, Spanish only through the shipped .mo catalogue.
    assert "Inicia sesión en la mesa de ayuda" in html and 'name="password"' in html
    status, css = fetch(f"{url}/static/app.css")
    assert status == 200 and css == (ROOT / "servicedesk" / "static" / "app.css").read_bytes()
    status, script = fetch(f"{url}/static/forms_engine/forms_engine.js")
    assert status == 200
    assert script == (ROOT / "forms_engine" / "static" / "forms_engine.js").read_bytes()
    # Every file of the shipped folders is in the wheel, so a new kind of file is not left out.
    for folder, inside in (
        ("templates", "templates"),
        ("migrations", "migrations"),
        ("servicedesk/static", "static"),
        ("servicedesk/translations", "translations"),
    ):
        for path in (ROOT / folder).rglob("*"):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix not in {".po", ".pot"}
            ):
                relative = path.relative_to(ROOT / folder)
                assert (package / inside / relative).is_file(), f"{folder}/{relative}"
    print(f"wheel timings (s): {', '.join(f'{k} {v:.1f}' for k, v in timings.items())}")
