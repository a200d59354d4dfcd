"""time zones: the organisation's in a settings table, each user's own (empty: the desk's)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("timezone")
    op.drop_table("settings")
