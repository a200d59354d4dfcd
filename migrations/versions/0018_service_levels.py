"""service levels: calendars, versioned policies, and each ticket's two clocks

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 03:04:56

Existing tickets get no policy (phase "none"): targets apply to tickets filed after a
policy exists, or to open tickets when an administrator asks to recompute them.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
PHASES = "sla_phase IN ('none', 'running', 'paused', 'met', 'breached')"


def upgrade():
    op.create_table(
        "sla_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("hours", JSON, nullable=False),
        sa.Column("holidays", JSON, nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "sla_policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("type_ids", JSON, nullable=False),
        sa.Column("priorities", JSON, nullable=False),
        sa.Column("area_ids", JSON, nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("warn_percent", sa.SmallInteger(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["policy_id"], ["sla_policies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("policy_id", "number", name="uq_sla_policy_version"),
    )
    with op.batch_alter_table("area_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("supervisor", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_areas_calendar", "sla_calendars", ["calendar_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_version_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "sla_phase",
                sa.String(length=10),
                sa.CheckConstraint(PHASES, name="ck_tickets_sla_phase"),
                nullable=False,
                server_default="none",
            )
        )
        batch_op.add_column(
            sa.Column("sla_response_due", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sla_resolution_due", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("sla_next_due", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_warn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_escalate_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("sla_paused_secs", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("sla_period_start", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("sla_response_breached", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("sla_resolution_breached", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("sla_response_secs", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_resolution_secs", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_notified", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_tickets_sla_escalate", ["sla_escalate_at"], unique=False)
        batch_op.create_index("ix_tickets_sla_next_due", ["sla_next_due"], unique=False)
        batch_op.create_index("ix_tickets_sla_warn", ["sla_warn_at", "sla_next_due"], unique=False)
        batch_op.create_foreign_key(
            "fk_tickets_sla_version",
            "sla_policy_versions",
            ["sla_version_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint("fk_tickets_sla_version", type_="foreignkey")
        batch_op.drop_constraint("ck_tickets_sla_phase", type_="check")
        batch_op.drop_index("ix_tickets_sla_warn")
        batch_op.drop_index("ix_tickets_sla_next_due")
        batch_op.drop_index("ix_tickets_sla_escalate")
        batch_op.drop_column("sla_notified")
        batch_op.drop_column("sla_resolution_secs")
        batch_op.drop_column("sla_response_secs")
        batch_op.drop_column("sla_resolution_breached")
        batch_op.drop_column("sla_response_breached")
        batch_op.drop_column("sla_period_start")
        batch_op.drop_column("sla_paused_secs")
        batch_op.drop_column("sla_paused_at")
        batch_op.drop_column("sla_escalate_at")
        batch_op.drop_column("sla_warn_at")
        batch_op.drop_column("sla_next_due")
        batch_op.drop_column("sla_resolution_due")
        batch_op.drop_column("sla_response_due")
        batch_op.drop_column("sla_phase")
        batch_op.drop_column("sla_version_id")

    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_constraint("fk_areas_calendar", type_="foreignkey")
        batch_op.drop_column("calendar_id")

    with op.batch_alter_table("area_members", schema=None) as batch_op:
        batch_op.drop_column("supervisor")
    op.drop_table("sla_policy_versions")
    op.drop_table("sla_policies")
    op.drop_table("sla_calendars")
