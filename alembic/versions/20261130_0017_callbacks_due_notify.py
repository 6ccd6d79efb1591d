"""The deliverer is woken when deliveries are queued instead of finding them at its next poll:
a NOTIFY on jobdeck_callbacks_due from each statement that inserts into the outbox
(worker_service/callbacks/wakeups.py listens). Payload-free, so PostgreSQL folds the
notifications of one transaction into one; a statement that inserted nothing sends none.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION callback_deliveries_notify_due() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM new_rows) THEN
                PERFORM pg_notify('jobdeck_callbacks_due', '');
            END IF;
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER callback_deliveries_notify_due AFTER INSERT ON callback_deliveries
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION callback_deliveries_notify_due()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER callback_deliveries_notify_due ON callback_deliveries")
    op.execute("DROP FUNCTION callback_deliveries_notify_due()")
