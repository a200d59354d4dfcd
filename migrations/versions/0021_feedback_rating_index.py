"""feedback rating index: the report reads a ticket's rating from the index alone

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 03:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_feedback_ticket_closure_rating",
        "feedback",
        ["ticket_id", "closure", "rating"],
        unique=False,
    )
    # Where the planner already has statistics, the new index must have them too (as in
    # 0008): with stale ones SQLite keeps probing the unique index and the table.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ANALYZE feedback")
    elif bind.execute(
        sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
    ).scalar():
        op.execute("ANALYZE feedback")


def downgrade():
    op.drop_index("ix_feedback_ticket_closure_rating", table_name="feedback")
