"""Job types as rows: the three built-ins and custom ones, with the controls the claim obeys.

Jobs reference their type (a foreign key instead of the CHECK of 0001) and may carry a
concurrency key. A built-in's payload schema comes from job_contract's models, so its row
keeps none. Rate limits are enforced with slots: a type limited to n jobs per s seconds has
n rows in job_type_rate_slots, and each claim takes a slot unused for s seconds, so no window
of s seconds ever holds more than n claims.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE job_types (
            name text PRIMARY KEY
                CONSTRAINT job_types_name_check CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
            payload_schema jsonb,
            description text NOT NULL DEFAULT '',
            builtin boolean NOT NULL DEFAULT false,
            paused boolean NOT NULL DEFAULT false,
            concurrency integer CONSTRAINT job_types_concurrency_check CHECK (concurrency >= 1),
            key_concurrency integer
                CONSTRAINT job_types_key_concurrency_check CHECK (key_concurrency >= 1),
            rate_limit_jobs integer
                CONSTRAINT job_types_rate_limit_jobs_check CHECK (rate_limit_jobs >= 1),
            rate_limit_seconds double precision
                CONSTRAINT job_types_rate_limit_seconds_check CHECK (rate_limit_seconds > 0),
            timeout_seconds double precision
                CONSTRAINT job_types_timeout_seconds_check CHECK (timeout_seconds > 0),
            default_max_attempts integer
                CONSTRAINT job_types_default_max_attempts_check
                CHECK (default_max_attempts BETWEEN 1 AND 25),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT job_types_rate_limit_whole_check
                CHECK ((rate_limit_jobs IS NULL) = (rate_limit_seconds IS NULL)),
            CONSTRAINT job_types_schema_check CHECK (builtin OR payload_schema IS NOT NULL)
        )
    """)
    op.execute("""
        INSERT INTO job_types (name, builtin, description) VALUES
            ('email', true, 'An e-mail sent through SMTP'),
            ('report', true, 'A CSV or PDF report of the jobs data, stored as the job''s file'),
            ('notification', true, 'A push, SMS or e-mail notification to a user')
    """)
    op.execute("ALTER TABLE jobs DROP CONSTRAINT jobs_type_check")
    op.execute("""
        ALTER TABLE jobs ADD CONSTRAINT jobs_type_fkey
            FOREIGN KEY (type) REFERENCES job_types (name)
    """)
    op.execute("""
        ALTER TABLE jobs ADD COLUMN concurrency_key text
            CONSTRAINT jobs_concurrency_key_check CHECK (length(concurrency_key) BETWEEN 1 AND 200)
    """)
    # What a limited claim counts: jobs processing per type and key (few rows at any time).
    op.execute("""
        CREATE INDEX jobs_processing_type_key_idx ON jobs (type, concurrency_key)
        WHERE status = 'processing'
    """)
    # A limited claim reads one type's pending jobs in claim order, whatever the other types
    # hold. Led by `type`, so the unlimited claim (jobs_claim_idx) keeps its plan.
    op.execute("""
        CREATE INDEX jobs_claim_by_type_idx ON jobs (type, priority DESC, created_at, id)
        WHERE status = 'pending'
    """)
    op.execute("""
        CREATE TABLE job_type_rate_slots (
            type text NOT NULL REFERENCES job_types (name) ON DELETE CASCADE,
            slot integer NOT NULL,
            used_at timestamptz NOT NULL DEFAULT '-infinity',
            PRIMARY KEY (type, slot)
        )
    """)
    op.execute("CREATE INDEX job_type_rate_slots_used_idx ON job_type_rate_slots (type, used_at)")
    # Every worker service re-reads the controls when they change, and its long-polls look
    # again: a pause lifted or a limit raised may make jobs claimable.
    op.execute("""
        CREATE FUNCTION job_types_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('jobdeck_job_types', '');
            PERFORM pg_notify('jobdeck_jobs_pending', '');
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER job_types_notify_changes AFTER INSERT OR UPDATE OR DELETE ON job_types
        FOR EACH STATEMENT EXECUTE FUNCTION job_types_notify_changed()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER job_types_notify_changes ON job_types")
    op.execute("DROP FUNCTION job_types_notify_changed()")
    op.execute("DROP TABLE job_type_rate_slots")
    op.execute("DROP INDEX jobs_claim_by_type_idx")
    op.execute("DROP INDEX jobs_processing_type_key_idx")
    op.execute("ALTER TABLE jobs DROP COLUMN concurrency_key")
    op.execute("ALTER TABLE jobs DROP CONSTRAINT jobs_type_fkey")
    op.execute("""
        ALTER TABLE jobs ADD CONSTRAINT jobs_type_check
            CHECK (type IN ('email', 'report', 'notification'))
    """)
    op.execute("DROP TABLE job_types")
