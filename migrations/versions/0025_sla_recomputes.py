"""sla recomputes: "Recalcular tickets abiertos" runs as a job with its progress and cursor

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 07:00:00

The confirmation used to re-target every changed open ticket inside the request. A run is
now a row that a worker (rq, or a thread of the web process without Redis) works a batch at
a time; each batch commits its tickets, their events and the cursor together. The unique
`active` column (TRUE while queued or running, NULL after) lets one run be active at a time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sla_recomputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("total_tickets", sa.Integer(), nullable=False),
        sa.Column("until_id", sa.Integer(), nullable=True),
        sa.Column("done_tickets", sa.Integer(), nullable=False),
        sa.Column("changed_tickets", sa.Integer(), nullable=False),
        sa.Column("cursor_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="ck_sla_recomputes_status"
        ),
        sa.CheckConstraint(
            "(status IN ('queued', 'running') AND active IS TRUE)"
            " OR (status IN ('done', 'failed') AND active IS NULL)",
            name="ck_sla_recomputes_active",
        ),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active", name="uq_sla_recomputes_active"),
    )


def downgrade():
    op.drop_table("sla_recomputes")
