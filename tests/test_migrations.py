"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Integer, column, inspect, table, update

from servicedesk.extensions import db
from servicedesk.models import Ticket
from servicedesk.models.base import UTCDateTime
from tests.factories import make_ticket


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parents: (
                    not (
                        (type_ == "table" and name.startswith("ticket_search"))
                        or (type_ == "index" and name == "ix_tickets_data_gin")
                    )
                ),
            },
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], "models changed without a migration: run `flask db migrate`"


def test_dashboard_indexes_exist(app):
    names = {ix["name"] for ix in inspect(db.engine).get_indexes("tickets")}
    assert {
        "ix_tickets_status_updated",
        "ix_tickets_assignee_status",
        "ix_tickets_area_status",
        "ix_tickets_requester_updated",
        "ix_tickets_type_status",
    } <= names


def test_the_outbox_finds_a_tickets_mail_by_an_index(app):
    """Deleting a ticket sets its mail's ticket NULL; e-mail in reads the mail per ticket."""
    names = {ix["name"] for ix in inspect(db.engine).get_indexes("outbox")}
    assert "ix_outbox_ticket" in names


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-only pragmas")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_report_migration_fills_the_attention_times_from_the_dates(app, client_user, soporte):
    """0023 works out first_response_us and resolution_us of the tickets already stored."""
    directory = app.extensions["migrate"].directory
    ids = [make_ticket(client_user, soporte).id for _ in range(2)]
    db.session.commit()
    db.session.close()  # the migration's ALTER TABLE waits for no read of ours
    downgrade(directory=directory, revision="0022")
    try:  # dates written under 0022, with a statement naming only its columns
        at = UTCDateTime()
        rows = table(
            "tickets",
            column("id", Integer),
            column("created_at", at),
            column("first_response_at", at),
            column("resolved_at", at),
        )
        dates = [
            (
                datetime(2026, 3, 1, 10, 0, 0, 250_000),
                datetime(2026, 3, 1, 12, 30, 0, 125_000),
                datetime(2026, 3, 4, 9, 0, 1),
            ),
            (datetime(2026, 3, 1, 10, 0), datetime(2026, 3, 1, 10, 0, 0, 1), None),
        ]
        for number, (created, first, resolved) in zip(ids, dates, strict=True):
            db.session.execute(
                update(rows)
                .where(rows.c.id == number)
                .values(created_at=created, first_response_at=first, resolved_at=resolved)
            )
        db.session.commit()
    finally:
        upgrade(directory=directory)
    db.session.expire_all()
    answered, quick = (db.session.get(Ticket, number) for number in ids)
    assert answered.first_response_us == (2 * 3600 + 30 * 60) * 1_000_000 - 125_000
    assert answered.resolution_us == (2 * 86400 + 23 * 3600 + 1) * 1_000_000 - 250_000
    assert quick.first_response_us == 1 and quick.resolution_us is None
