"""custom field index (PostgreSQL)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 06:56:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Custom-field equality filters use JSONB containment (data @> '{"k": v}') on PostgreSQL;
    # this GIN index answers them. SQLite filters by type first and reads JSON per row.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE INDEX ix_tickets_data_gin ON tickets USING GIN (data jsonb_path_ops)")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_tickets_data_gin")
