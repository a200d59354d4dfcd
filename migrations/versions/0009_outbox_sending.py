"""outbox: a 'sending' status for a message claimed by one delivery

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00

"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

WITH_SENDING = "status IN ('pending', 'queued', 'sending', 'sent', 'failed')"
WITHOUT_SENDING = "status IN ('pending', 'queued', 'sent', 'failed')"


def _replace_check(condition: str) -> None:
    """Swap the status CHECK (SQLite rebuilds the table, PostgreSQL alters it in place)."""
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outbox_status', type_='check')
        batch_op.create_check_constraint('ck_outbox_status', condition)


def upgrade():
    _replace_check(WITH_SENDING)


def downgrade():
    # A claim in flight is given back to the relay before 'sending' stops being a status.
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
    _replace_check(WITHOUT_SENDING)
