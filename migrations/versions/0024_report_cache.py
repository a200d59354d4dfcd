"""report cache: each month's attention cube kept by the worker, changed months marked by triggers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 07:00:00

reports/cache.py keeps, per UTC month of filing, the rows of the report's grouped pass over
the tickets whose clocks no longer run (report_cube_rows, report_months). Triggers on
tickets and feedback write the month of each ticket written into report_changes, so a
report uses a month's rows only while no change of it is waiting, and counts a changed
month live until the worker has built it again (and deleted the changes it counted).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# What the report reads of a ticket (models.tickets.REPORT_COLUMNS) and its filing time.
TICKET_COLUMNS = (
    "created_at",
    "ticket_type_id",
    "area_id",
    "assignee_id",
    "priority",
    "status",
    "channel",
    "closed_at",
    "closure_count",
    "number",
    "first_response_us",
    "resolution_us",
    "sla_version_id",
    "sla_phase",
    "sla_response_due",
    "sla_response_breached",
    "sla_response_secs",
    "sla_resolution_due",
    "sla_resolution_breached",
    "sla_resolution_secs",
)
FEEDBACK_COLUMNS = ("ticket_id", "closure", "rating")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQLITE_TRIGGERS = [
    """CREATE TRIGGER tr_tickets_report_insert AFTER INSERT ON tickets BEGIN
        INSERT INTO report_changes (month) VALUES (substr(NEW.created_at, 1, 7));
    END""",
    f"""CREATE TRIGGER tr_tickets_report_update AFTER UPDATE OF {", ".join(TICKET_COLUMNS)}
    ON tickets BEGIN
        INSERT INTO report_changes (month) VALUES (substr(NEW.created_at, 1, 7));
        INSERT INTO report_changes (month) SELECT substr(OLD.created_at, 1, 7)
            WHERE substr(OLD.created_at, 1, 7) <> substr(NEW.created_at, 1, 7);
    END""",
    """CREATE TRIGGER tr_tickets_report_delete AFTER DELETE ON tickets BEGIN
        INSERT INTO report_changes (month) VALUES (substr(OLD.created_at, 1, 7));
    END""",
    """CREATE TRIGGER tr_feedback_report_insert AFTER INSERT ON feedback BEGIN
        INSERT INTO report_changes (month)
            SELECT substr(created_at, 1, 7) FROM tickets WHERE id = NEW.ticket_id;
    END""",
    f"""CREATE TRIGGER tr_feedback_report_update AFTER UPDATE OF {", ".join(FEEDBACK_COLUMNS)}
    ON feedback BEGIN
        INSERT INTO report_changes (month)
            SELECT substr(created_at, 1, 7) FROM tickets WHERE id IN (OLD.ticket_id, NEW.ticket_id);
    END""",
    """CREATE TRIGGER tr_feedback_report_delete AFTER DELETE ON feedback BEGIN
        INSERT INTO report_changes (month)
            SELECT substr(created_at, 1, 7) FROM tickets WHERE id = OLD.ticket_id;
    END""",
]
SQLITE_DROPS = [
    f"DROP TRIGGER IF EXISTS tr_{table}_report_{event}"
    for table in ("tickets", "feedback")
    for event in ("insert", "update", "delete")
]

MONTH = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM')"
POSTGRES_FUNCTIONS = [
    f"""CREATE FUNCTION report_ticket_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO report_changes (month) VALUES ({MONTH.format("NEW.created_at")});
        END IF;
        IF TG_OP = 'DELETE' OR {MONTH.format("OLD.created_at")} <> {MONTH.format("NEW.created_at")}
        THEN
            INSERT INTO report_changes (month) VALUES ({MONTH.format("OLD.created_at")});
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION report_feedback_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO report_changes (month)
                SELECT {MONTH.format("created_at")} FROM tickets WHERE id = OLD.ticket_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO report_changes (month)
                SELECT {MONTH.format("created_at")} FROM tickets WHERE id = NEW.ticket_id;
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER tr_tickets_report
        AFTER INSERT OR DELETE OR UPDATE OF {", ".join(TICKET_COLUMNS)} ON tickets
        FOR EACH ROW EXECUTE FUNCTION report_ticket_changed()""",
    f"""CREATE TRIGGER tr_feedback_report
        AFTER INSERT OR DELETE OR UPDATE OF {", ".join(FEEDBACK_COLUMNS)} ON feedback
        FOR EACH ROW EXECUTE FUNCTION report_feedback_changed()""",
]
POSTGRES_DROPS = [
    "DROP TRIGGER IF EXISTS tr_tickets_report ON tickets",
    "DROP TRIGGER IF EXISTS tr_feedback_report ON feedback",
    "DROP FUNCTION IF EXISTS report_ticket_changed()",
    "DROP FUNCTION IF EXISTS report_feedback_changed()",
]


def upgrade():
    op.create_table(
        "report_changes",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("month", sa.String(length=7), nullable=False),
    )
    op.create_index("ix_report_changes_month", "report_changes", ["month", "id"], unique=False)
    op.create_table(
        "report_months",
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("minutes", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    )
    counts = (
        "tickets",
        "closed",
        "rated",
        "targeted",
        "response_met",
        "response_missed",
        "resolution_met",
        "resolution_missed",
        "breached",
    )
    texts = (
        "first",
        "resolution",
        "statuses",
        "channels",
        "opened_in",
        "closed_in",
        "rated_on",
        "rated_numbers",
        "response_secs",
        "resolution_secs",
    )
    op.create_table(
        "report_cube_rows",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
        sa.Column("rating_total", sa.Integer(), nullable=True),
        *(sa.Column(name, sa.Text(), nullable=True) for name in texts),
    )
    op.create_index(
        "ix_report_cube_rows_month", "report_cube_rows", ["minutes", "month"], unique=False
    )
    statements = (
        SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_FUNCTIONS
    )
    for statement in statements:
        op.execute(statement)


def downgrade():
    drops = SQLITE_DROPS if op.get_bind().dialect.name == "sqlite" else POSTGRES_DROPS
    for statement in drops:
        op.execute(statement)
    op.drop_index("ix_report_cube_rows_month", table_name="report_cube_rows")
    op.drop_table("report_cube_rows")
    op.drop_table("report_months")
    op.drop_index("ix_report_changes_month", table_name="report_changes")
    op.drop_table("report_changes")
