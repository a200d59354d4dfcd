"""report index: attention times on the ticket row and a covering index for the reports

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 07:00:00

A year's report read every ticket row of the period (wide: subject, description, form
data) and worked out two date differences per ticket. The row now keeps those differences
(first_response_us, resolution_us: wall-clock microseconds from filing, filled here from
the dates) and ix_tickets_report holds every column the report's grouped pass reads, led
by created_at, so it replaces ix_tickets_created.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

REPORT_COLUMNS = [
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
    "id",
]


def _elapsed(end: str, dialect: str) -> str:
    """SQL for the microseconds from created_at to `end` (dates stored as the app does)."""
    if dialect == "postgresql":
        return f"round(extract(epoch from ({end} - created_at)) * 1000000)::bigint"
    # SQLite: UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'; whole seconds, then the microseconds.
    seconds = f"(cast(strftime('%s', {end}) as integer) - cast(strftime('%s', created_at) as integer))"
    micro = f"(cast(substr({end}, 21, 6) as integer) - cast(substr(created_at, 21, 6) as integer))"
    return f"{seconds} * 1000000 + {micro}"


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("first_response_us", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("resolution_us", sa.BigInteger(), nullable=True))
    for end, column in (("first_response_at", "first_response_us"), ("resolved_at", "resolution_us")):
        op.execute(
            f"UPDATE tickets SET {column} = {_elapsed(end, dialect)} WHERE {end} IS NOT NULL"
        )
    op.drop_index("ix_tickets_created", table_name="tickets")
    op.create_index("ix_tickets_report", "tickets", REPORT_COLUMNS, unique=False)


def downgrade():
    op.drop_index("ix_tickets_report", table_name="tickets")
    op.create_index("ix_tickets_created", "tickets", ["created_at"], unique=False)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("resolution_us")
        batch.drop_column("first_response_us")
