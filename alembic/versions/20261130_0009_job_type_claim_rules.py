"""The claim's rules about a type, each written once, in the database.

`limited` (a concurrency, key or rate limit is set) and `holds_slots` (its processing jobs hold
slots that free when they leave `processing`) are generated from the controls, so the claim
statements, the worker's list of limited types and the statements that wake long-polls read
the same definition instead of restating it. `job_type_claim_lock(name)` is the lock that
serialises a limited type's claims; PATCH /job-types takes it too, so a change of limits (and
of rate slots) never interleaves with a claim that is counting them.

Rate slots become a ring. Claims of a type are serialised, so they use its slots in turn: from
a cursor (`job_type_rate_cursors`), the slots in ring order are the least recently used
first. A claim reads the next few slots by primary key and moves the cursor past those it
takes, instead of finding the oldest through an index on `used_at`: every claim rewrote that
index (a slot update could never be HOT) and the next claim walked the dead entries it left
(1.1 ms per claim of 10 slots after 2,000 claims, against 0.29 ms for the ring, measured on
PostgreSQL 15). Existing slots are renumbered 0..n-1 by when they were used, cursor at 0.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE job_types
            ADD COLUMN limited boolean NOT NULL GENERATED ALWAYS AS (
                concurrency IS NOT NULL OR key_concurrency IS NOT NULL
                OR rate_limit_jobs IS NOT NULL
            ) STORED,
            ADD COLUMN holds_slots boolean NOT NULL GENERATED ALWAYS AS (
                concurrency IS NOT NULL OR key_concurrency IS NOT NULL
            ) STORED
    """)
    op.execute("DROP INDEX job_type_rate_slots_used_idx")
    op.execute("""
        WITH old AS (DELETE FROM job_type_rate_slots RETURNING type, used_at)
        INSERT INTO job_type_rate_slots (type, slot, used_at)
        SELECT type, row_number() OVER (PARTITION BY type ORDER BY used_at) - 1, used_at
        FROM old
    """)
    op.execute("""
        CREATE TABLE job_type_rate_cursors (
            type text PRIMARY KEY REFERENCES job_types (name) ON DELETE CASCADE,
            next_slot integer NOT NULL DEFAULT 0
        )
    """)
    op.execute(
        "INSERT INTO job_type_rate_cursors (type) SELECT DISTINCT type FROM job_type_rate_slots"
    )
    op.execute("""
        CREATE FUNCTION job_type_claim_lock(type_name text) RETURNS void
        LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(hashtext('jobdeck.type.' || type_name)) $$
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION job_type_claim_lock(text)")
    op.execute("DROP TABLE job_type_rate_cursors")
    op.execute("CREATE INDEX job_type_rate_slots_used_idx ON job_type_rate_slots (type, used_at)")
    op.execute("ALTER TABLE job_types DROP COLUMN holds_slots, DROP COLUMN limited")
