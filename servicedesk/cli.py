"""flask commands: init, demo data, create-admin, synthetic tickets, worker, relay, mail-in,
mail-fetch, the service-level escalation and the recompute of the open tickets."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import select

from . import demo, unit_of_work
from .emails import is_email, normalise_email
from .extensions import db, running_app
from .mailin import fetch
from .mailin import parse as mailin_parse
from .mailin import service as mailin
from .models import Role, User
from .notifications import courier, fanout, worker
from .numbers import MAX_ID
from .reports import cache as report_cache
from .reports import jobs as export_jobs
from .sla import escalation
from .sla import recompute as sla_recompute
from .tickets import held, search


def _print_logins() -> None:
    """Print the demo logins so a new user can sign in at once."""
    click.echo(f"\nDemo logins (password: {demo.DEMO_PASSWORD}):")
    for name, email, role, _area in demo.PEOPLE:
        click.echo(f"  {role:<13} {email:<22} {name}")
    click.echo("")


def _load_demo(progress: Callable[[str], None] = lambda _step: None) -> None:
    """Load the demo desk and its three months of history, then index them for search."""
    demo.load(progress=progress)
    demo.load_history(progress=progress)
    db.session.commit()
    search.rebuild_all()
    progress("search index")


@click.command("init")
@click.option("--demo/--no-demo", "with_demo", default=False, help="Load demo data once.")
def init_command(with_demo: bool) -> None:
    """Create or upgrade the database schema, and load demo data into an empty desk."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("Database schema is up to date.")
    if with_demo:
        if demo.already_loaded():
            click.echo("Users exist already: demo data not loaded again.")
        else:
            _load_demo(progress=lambda step: click.echo(f"  demo {step} ✓"))
        _print_logins()


@click.group("demo")
def demo_group() -> None:
    """Demo and synthetic data."""


@demo_group.command("load")
def demo_load() -> None:
    """Load the demo desk into an empty database."""
    if demo.already_loaded():
        raise click.ClickException("The database has users already; demo data not loaded.")
    _load_demo()
    _print_logins()


@demo_group.command("generate")
@click.option("--tickets", "count", type=click.IntRange(1, 5_000_000), default=1000)
@click.option("--seed", type=int, default=7)
def demo_generate(count: int, seed: int) -> None:
    """Add synthetic tickets for benchmarks, with a progress bar."""
    with click.progressbar(length=count, label="Generating tickets") as bar:
        try:
            demo.generate(count, seed=seed, on_batch=bar.update)
            db.session.commit()

            search.rebuild_all()
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{count} tickets added.")


@click.command("search-rebuild")
def search_rebuild() -> None:
    """Rebuild the full-text index of every ticket (after a bulk load or a restore)."""
    click.echo(f"{search.rebuild_all()} tickets indexed.")


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option()
@click.option("--language", type=click.Choice(["es", "en"]), default="es")
def create_admin(email: str, name: str, password: str, language: str) -> None:
    """Create an administrator (or promote an existing user and set the password)."""
    if len(password) < 10:
        raise click.ClickException("The password needs at least 10 characters.")
    email = normalise_email(email)
    if not is_email(email):
        raise click.ClickException("Enter a valid e-mail address.")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, language=language)
        db.session.add(user)
    user.role = Role.ADMIN
    user.active = True
    user.set_password(password)
    db.session.commit()
    click.echo(f"Administrator {email} is ready.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run the rq worker for the mail queue, with the outbox relay; it waits out Redis outages."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: mail is delivered in-process.")
    # Beside the outbox relay: exports whose worker died, or whose job a Redis restart lost;
    # the same for the recomputes of the open tickets (taken up again from their cursor);
    # files kept from refused forms whose time is up.
    # Their own threads: the service-level warnings and breaches, every SLA_ESCALATE_SECONDS,
    # the IMAP mailboxes, every MAIL_FETCH_SECONDS, and the reports' monthly cache, every
    # REPORT_CACHE_SECONDS.
    worker.run(
        running_app(),
        burst=burst,
        chores=[export_jobs.sweep, sla_recompute.sweep, held.sweep_chore],
        timers=[
            ("SLA_ESCALATE_SECONDS", escalation.run_pass),
            ("MAIL_FETCH_SECONDS", fetch.run_pass),
            ("REPORT_CACHE_SECONDS", report_cache.run_pass),
        ],
    )


@click.command("mail-in")
@click.option("--mailbox", default=None, help="The name recorded for where the mail arrived.")
@click.option(
    "--area",
    "area_id",
    type=click.IntRange(1, MAX_ID),
    default=None,
    help="File new tickets into this area (id).",
)
@click.option("--type", "type_key", default=None, help="File new tickets as this type (key).")
def mail_in_command(mailbox: str | None, area_id: int | None, type_key: str | None) -> None:
    """Handle one e-mail read on standard input (an MTA pipe or alias); print the outcome.

    Exit status: 0 created, replied or ignored; 1 rejected; 2 unreadable input.
    """
    raw = sys.stdin.buffer.read()
    try:
        mailin_parse.read(raw)
    except mailin_parse.Unreadable as exc:
        click.echo(json.dumps({"action": "rejected", "ticket": None, "reason": "unreadable"}))
        current_app.logger.warning("mail-in: unreadable input (%s)", exc)
        sys.exit(2)
    # Standard output carries the one JSON line; mail printed by the embedded mode's
    # console goes to standard error.
    with contextlib.redirect_stdout(sys.stderr):
        outcome = mailin.handle(raw, area_id=area_id, type_key=type_key, mailbox=mailbox)
        unit_of_work.commit()
        if not current_app.config.get("REDIS_URL"):
            # Embedded: the acknowledgement leaves from this process before it ends (or, if
            # the mail server is slow, the relay sends it later).
            courier.wait_idle(running_app(), float(current_app.config["MAIL_TIMEOUT"] or 10) * 3)
    click.echo(json.dumps(outcome.as_dict()))
    sys.exit(1 if outcome.action == "rejected" else 0)


@click.command("relay")
def relay_command() -> None:
    """Run the outbox relay once (the worker runs it by itself every MAIL_RELAY_SECONDS)."""
    done = fanout.relay_pass()
    if current_app.config.get("REDIS_URL"):
        click.echo(f"{done} message(s) queued.")
    else:
        click.echo(f"{done} message(s) delivered.")


@click.command("mail-fetch")
@click.option(
    "--mailbox", "name", default=None, help="Read only the mailbox of this name (even inactive)."
)
def mail_fetch_command(name: str | None) -> None:
    """Read the IMAP mailboxes once and print one JSON line (exit 1 if a mailbox failed)."""
    result = fetch.run_pass(name).as_dict()
    if not current_app.config.get("REDIS_URL"):
        # Embedded: the acknowledgements leave from this process before it ends (or, if the
        # mail server is slow, the relay sends them later).
        courier.wait_idle(running_app(), float(current_app.config["MAIL_TIMEOUT"] or 10) * 3)
    click.echo(json.dumps(result))
    if result["failed"] or (name is not None and not result["mailboxes"]):
        raise SystemExit(1)


@click.command("sla-escalate")
def sla_escalate_command() -> None:
    """Send the service-level warnings and breaches due now, once (the worker does it by itself)."""
    click.echo(json.dumps(escalation.run_pass().as_dict()))


@click.command("report-cache")
@click.option("--rebuild", is_flag=True, help="Forget the cache and build every month again.")
@click.option("--limit", type=click.IntRange(1), default=10_000, help="At most this many months.")
def report_cache_command(rebuild: bool, limit: int) -> None:
    """Build the reports' monthly cache where it is missing or tickets changed (the worker does
    it by itself); print the months built, with the settled tickets each counts."""
    months = report_cache.refresh(limit=limit, rebuild=rebuild)
    click.echo(json.dumps({"months": report_cache.built(months)}))


@click.command("sla-recompute")
def sla_recompute_command() -> None:
    """Give the open tickets the policy their rules choose now, in this process (as
    "Recalcular tickets abiertos" does on rq); print one JSON line, exit 1 unless done.

    A run whose worker died is taken up from its cursor; one still working is left alone.
    """
    run, fresh = sla_recompute.start(None)
    unit_of_work.commit()
    if fresh:
        sla_recompute.run_attempt(run.id, run.attempt)
    result = sla_recompute.outcome(run.id)
    click.echo(json.dumps(result))
    if not fresh:
        click.echo(f"Recompute {run.id} is already under way elsewhere.", err=True)
    if not fresh or result["status"] != "done":
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    for command in (
        init_command,
        demo_group,
        create_admin,
        worker_command,
        relay_command,
        mail_in_command,
        mail_fetch_command,
        sla_escalate_command,
        sla_recompute_command,
        report_cache_command,
        search_rebuild,
    ):
        app.cli.add_command(command)
