"""open tickets per owner and area from one index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_tickets_status_owner', 'tickets', ['status', 'assignee_id', 'area_id'],
                    unique=False)
    # Where the planner already has statistics, the new index must have them too: SQLite
    # otherwise guesses that it beats ix_tickets_updated for the Tablero's active list and
    # sorts every open ticket (2.7 -> 22 ms at 100,000 tickets). PostgreSQL re-analyzes by
    # itself, but the next page load should not wait for autovacuum.
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute('ANALYZE tickets')
    elif bind.execute(sa.text("SELECT count(*) FROM sqlite_master "
                              "WHERE name = 'sqlite_stat1'")).scalar():
        op.execute('ANALYZE tickets')


def downgrade():
    op.drop_index('ix_tickets_status_owner', table_name='tickets')
