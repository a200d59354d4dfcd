"""photos: attachments' size in pixels; files kept from a refused form (held_uploads)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 20:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("height", sa.Integer(), nullable=True))
    op.create_table(
        "held_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stored_name"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_held_uploads_created", "held_uploads", ["created_at"], unique=False)


def downgrade():
    op.drop_index("ix_held_uploads_created", table_name="held_uploads")
    op.drop_table("held_uploads")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("height")
        batch.drop_column("width")
