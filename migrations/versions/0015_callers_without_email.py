"""callers without e-mail: a client the desk registers by name and phone, with a unit

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", existing_type=sa.String(length=254), nullable=True)
        batch.add_column(sa.Column("unit", sa.String(length=60), nullable=True))


def downgrade():
    # A caller registered without an address cannot be kept by the older schema.
    op.execute("DELETE FROM users WHERE email IS NULL")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("unit")
        batch.alter_column("email", existing_type=sa.String(length=254), nullable=False)
