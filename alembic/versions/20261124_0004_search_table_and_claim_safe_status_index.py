"""Search text in a table of its own; the status index no longer covers pending jobs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Claims and completions change `status`, `updated_at` and the lease, so every one is a
non-HOT update that writes a new entry into each index on `jobs`. The trigram index on
`payload::text` made that cost ~100-150 keys per row per transition although the payload
never changes: it was more than half of the database's work in batch claims (bench/README.md,
4,579 -> 7,042 jobs/s without it). The searchable text now lives in `job_search`, written
once per job by a statement-level trigger (so every INSERT INTO jobs, batched or not, the
API's, seed's or a benchmark loader's, keeps it complete), and `?q=` joins it.

`jobs_status_created_at_idx` let the planner, with statistics taken while the queue was
empty, claim through `status = 'pending'` and sort every pending job (335 jobs/s against 969).
Its replacement leaves pending rows out, so only `jobs_claim_idx` can serve the claim; list
pages that need pending jobs in order read them from the claim index too, one priority at a
time (producer_api/job_listing.py).

Upgrading holds a lock on `jobs` that blocks writers while it copies and indexes the text of
every job (tens of seconds per million jobs).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # payload_text is exactly `payload::text`: producer_api/search.py escapes the search text
    # the way PostgreSQL prints JSON. The foreign key comes after the copy below: validating
    # it once is much cheaper than a check per copied row.
    op.execute("""
        CREATE TABLE job_search (
            job_id uuid PRIMARY KEY,
            payload_text text NOT NULL
        )
    """)
    op.execute("""
        CREATE FUNCTION jobs_search_insert_text() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO job_search (job_id, payload_text)
            SELECT id, payload::text FROM new_rows;
            RETURN NULL;
        END
        $$
    """)
    # Taking this trigger's lock keeps writers out until commit, so the copy below misses no
    # job, and no job is copied twice.
    op.execute("""
        CREATE TRIGGER jobs_search_inserts AFTER INSERT ON jobs
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_search_insert_text()
    """)
    # Nothing changes a payload after creation; should anything ever do so, search follows.
    # A row trigger limited to `UPDATE OF payload` costs claims and completions nothing.
    op.execute("""
        CREATE FUNCTION jobs_search_update_text() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE job_search SET payload_text = NEW.payload::text WHERE job_id = NEW.id;
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER jobs_search_payload_updates AFTER UPDATE OF payload ON jobs
        FOR EACH ROW WHEN (OLD.payload IS DISTINCT FROM NEW.payload)
        EXECUTE FUNCTION jobs_search_update_text()
    """)
    op.execute("INSERT INTO job_search (job_id, payload_text) SELECT id, payload::text FROM jobs")
    op.execute("""
        ALTER TABLE job_search ADD CONSTRAINT job_search_job_id_fkey
        FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
    """)
    # Built after the copy (much faster than entry by entry); the pending list as in 0003.
    op.execute("""
        CREATE INDEX job_search_payload_text_trgm_idx ON job_search
        USING gin (payload_text gin_trgm_ops) WITH (gin_pending_list_limit = 65536)
    """)
    op.execute("DROP INDEX jobs_payload_trgm_idx")
    op.execute("ANALYZE job_search")

    op.execute("""
        CREATE INDEX jobs_status_created_at_not_pending_idx ON jobs (status, created_at, id)
        WHERE status <> 'pending'
    """)
    op.execute("DROP INDEX jobs_status_created_at_idx")


def downgrade() -> None:
    op.execute("CREATE INDEX jobs_status_created_at_idx ON jobs (status, created_at, id)")
    op.execute("DROP INDEX jobs_status_created_at_not_pending_idx")

    op.execute("""
        CREATE INDEX jobs_payload_trgm_idx ON jobs USING gin ((payload::text) gin_trgm_ops)
        WITH (gin_pending_list_limit = 65536)
    """)
    op.execute("DROP TRIGGER jobs_search_payload_updates ON jobs")
    op.execute("DROP TRIGGER jobs_search_inserts ON jobs")
    op.execute("DROP TABLE job_search")
    op.execute("DROP FUNCTION jobs_search_update_text()")
    op.execute("DROP FUNCTION jobs_search_insert_text()")
