"""ticket number function: PostgreSQL takes a filing's number inside the ticket's INSERT

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 12:00:00

The filing took its number with an UPDATE … RETURNING on the counter row, then inserted the
ticket: two round trips. On PostgreSQL the same UPDATE now runs in a function the INSERT
calls (`number = take_ticket_number()`), so the number and the row go in one. The row's lock
lasts until the filing commits, as before. Without the counter row (emptied by hand) the
function puts it back from the highest number filed, where the old code fell back to
max(number) and a retry in a savepoint. SQLite keeps the two statements: there they are calls
into a library, not round trips.
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION take_ticket_number() RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE
            taken bigint;
        BEGIN
            -- Never below the highest number filed: rows written without the counter
            -- (demo data, the benchmark's loader, tests' factories) count too.
            UPDATE ticket_numbers
               SET last_number = GREATEST(
                       last_number, (SELECT COALESCE(MAX(number), 0) FROM tickets)) + 1
             WHERE id = 1
            RETURNING last_number INTO taken;
            IF taken IS NULL THEN
                INSERT INTO ticket_numbers (id, last_number)
                SELECT 1, COALESCE(MAX(number), 0) + 1 FROM tickets
                ON CONFLICT (id) DO UPDATE
                   SET last_number = ticket_numbers.last_number + 1
                RETURNING last_number INTO taken;
            END IF;
            RETURN taken;
        END
        $$
        """
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION take_ticket_number()")
