"""ticket numbers: one counter row, so a filing takes its number in one statement

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 17:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ticket_numbers",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_ticket_numbers_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO ticket_numbers (id, last_number) "
        "SELECT 1, COALESCE(MAX(number), 0) FROM tickets"
    )


def downgrade():
    op.drop_table("ticket_numbers")
