"""The worker service's runner registry, claim times, and NOTIFY wake-ups for long-polls.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE workers (
            worker_id text PRIMARY KEY,
            started_at timestamptz NOT NULL DEFAULT now(),
            last_heartbeat_at timestamptz NOT NULL DEFAULT now(),
            processed bigint NOT NULL DEFAULT 0,
            stopped_at timestamptz
        )
    """)
    # When the current attempt began: run-time metrics and "running for 12 s" on the dashboard.
    op.execute("ALTER TABLE jobs ADD COLUMN claimed_at timestamptz")
    # Runners in flight per worker: the registry joins on this (processing rows only, few).
    op.execute("CREATE INDEX jobs_locked_by_idx ON jobs (locked_by) WHERE status = 'processing'")
    # Long-polling claimers LISTEN on jobdeck_jobs_pending. One payload-free NOTIFY per
    # statement that made a job pending (PostgreSQL folds duplicates within a transaction).
    op.execute("""
        CREATE FUNCTION jobs_notify_pending() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM new_rows WHERE status = 'pending') THEN
                PERFORM pg_notify('jobdeck_jobs_pending', '');
            END IF;
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER jobs_notify_inserts AFTER INSERT ON jobs
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_pending()
    """)
    op.execute("""
        CREATE TRIGGER jobs_notify_updates AFTER UPDATE ON jobs
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_pending()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_notify_updates ON jobs")
    op.execute("DROP TRIGGER jobs_notify_inserts ON jobs")
    op.execute("DROP FUNCTION jobs_notify_pending()")
    op.execute("DROP INDEX jobs_locked_by_idx")
    op.execute("ALTER TABLE jobs DROP COLUMN claimed_at")
    op.execute("DROP TABLE workers")
