"""login sessions: logging out ends that browser's session on the server

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:10:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('generation', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('secret_hash'),
    )
    op.create_index('ix_login_sessions_user_created', 'login_sessions',
                    ['user_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_login_sessions_user_created', table_name='login_sessions')
    op.drop_table('login_sessions')
