"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from servicedesk.extensions import db


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
