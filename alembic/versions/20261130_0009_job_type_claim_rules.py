"""The claim's rules about a type, each written once, in the database.

`limited` (a concurrency, key or rate limit is set) and `holds_slots` (its processing jobs hold
slots that free when they leave `processing`) are generated from the controls, so the claim
statements, the worker's list of limited types and the statements that wake long-polls read
the same definition instead of restating it. `job_type_claim_lock(name)` is the lock that
serialises a limited type's claims; PATCH /job-types takes it too, so a change of limits (and
of rate slots) never interleaves with a claim that is counting them.

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
    op.execute("""
        CREATE FUNCTION job_type_claim_lock(type_name text) RETURNS void
        LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(hashtext('jobdeck.type.' || type_name)) $$
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION job_type_claim_lock(text)")
    op.execute("ALTER TABLE job_types DROP COLUMN holds_slots, DROP COLUMN limited")
