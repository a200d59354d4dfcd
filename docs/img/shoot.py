"""The README's screenshots: the Tablero, a ticket and the reports, on a phone and a desktop.

One command from the checkout:

    PYTHONPATH=. .venv/bin/python docs/img/shoot.py

It initialises a temporary SQLite desk with the demo data (`flask init --demo`), serves it on
loopback, signs in as the demo administrator with Chromium (CHROMIUM_PATH, default
/usr/bin/chromium) and writes docs/img/{tablero,ticket,informes}-{phone,desktop}.png, each
kept under MAX_BYTES (colours reduced when the lossless file is larger).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import func, select
from werkzeug.serving import make_server

from servicedesk import create_app
from servicedesk.demo import DEMO_PASSWORD
from servicedesk.extensions import db
from servicedesk.models import Comment, Ticket

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"]
MAX_BYTES = 300 * 1024
# name → viewport (CSS pixels), device scale, how much of the page to keep (CSS pixels tall).
SIZES = {
    "phone": ({"width": 375, "height": 740}, 2, 1100),
    "desktop": ({"width": 1280, "height": 800}, 1, 1000),
}
# Settings that would point the throwaway desk at real services.
SCRUBBED = ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "SERVICEDESK_ENV", "SECRET_KEY")


def demo_environment(folder: Path) -> dict[str, str]:
    """The environment of a desk living in folder: its own SQLite, no Redis, no mail server."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["SERVICEDESK_INSTANCE"] = str(folder)
    env["DATABASE_URL"] = f"sqlite:///{folder / 'servicedesk.db'}"
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextmanager
def demo_desk() -> Iterator[tuple[str, int]]:
    """Serve a fresh demo desk; yield its URL and the number of the busiest ticket."""
    with tempfile.TemporaryDirectory(prefix="servicedesk-shots-") as tmp:
        env = demo_environment(Path(tmp))
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "init", "--demo"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,  # shown by CalledProcessError when init fails
        )
        for name in SCRUBBED:  # the app reads its settings from the environment
            os.environ.pop(name, None)
        os.environ.update(env)
        app = create_app()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        with app.app_context():
            number = db.session.scalar(
                select(Ticket.number)
                .join(Comment, Comment.ticket_id == Ticket.id)
                .group_by(Ticket.number)
                .order_by(func.count().desc(), Ticket.number)
                .limit(1)
            )
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", number or 1
        finally:
            server.shutdown()
            thread.join(timeout=5)
            with app.app_context():
                db.engine.dispose()


def sign_in(page: Page, email: str, password: str) -> None:
    """Log in through the login form."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_load_state()


def save(page: Page, path: Path, keep_height: int) -> None:
    """Screenshot the top of the page, then shrink the file under MAX_BYTES."""
    height = min(keep_height, page.evaluate("document.documentElement.scrollHeight"))
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height}
    )
    image = Image.open(path).convert("RGB")
    image.save(path, optimize=True)
    colours = 256
    while path.stat().st_size > MAX_BYTES and colours >= 16:
        image.quantize(colours, dither=Image.Dither.NONE).save(path, optimize=True)
        colours //= 2
    size = path.stat().st_size // 1024
    print(f"{path.relative_to(ROOT)}: {image.width}×{image.height}, {size} KB")


def main() -> None:
    """Take the six screenshots."""
    with demo_desk() as (url, number), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        pages = {
            "tablero": "/tablero/",
            "ticket": f"/tablero/tickets/{number}",
            "informes": "/informes/",
        }
        for size, (viewport, scale, keep_height) in SIZES.items():
            context = browser.new_context(
                base_url=url, viewport=viewport, device_scale_factor=scale, locale="es-ES"
            )
            page = context.new_page()
            sign_in(page, "admin@example.com", DEMO_PASSWORD)
            for name, path in pages.items():
                page.goto(path)
                page.wait_for_load_state("networkidle")
                save(page, OUT / f"{name}-{size}.png", keep_height)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
