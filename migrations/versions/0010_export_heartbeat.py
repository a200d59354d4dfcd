"""export heartbeat and attempt: a dead worker's export is seen failed and can be retried

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 10:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempt', sa.Integer(), nullable=False,
                                      server_default=sa.text('0')))
    # Exports left "running" by a worker that died before this upgrade get a heartbeat now,
    # so they are seen failed (and can be retried) once it is stale.
    exports = sa.table('exports', sa.column('status', sa.String),
                       sa.column('heartbeat_at', sa.DateTime(timezone=True)))
    op.execute(exports.update().where(exports.c.status == 'running')
               .values(heartbeat_at=datetime.now(UTC)))


def downgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_column('attempt')
        batch_op.drop_column('heartbeat_at')
