"""outbox ticket index: a ticket's mail found without reading the whole outbox

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 04:45:00

0019 gave each outbox row its ticket (e-mail in threads replies by it); deleting a ticket
sets the column NULL on its rows, which without an index reads the whole outbox.
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_outbox_ticket", "outbox", ["ticket_id"], unique=False)


def downgrade():
    op.drop_index("ix_outbox_ticket", table_name="outbox")
