"""Retention: finished jobs leave the database, counted and recorded, by a cleaner.

Without it jobs, events and artifacts grow until the disk is full. The cleaner finds old
finished jobs through `jobs_finished_idx` (by status and finish time, finished rows only),
deletes them in bounded batches (events, artifacts and search rows go by ON DELETE CASCADE),
and adds what it removed to `job_retired_counts`, so /stats keeps counting them: the
dashboard's totals do not drop when history is cleaned. `job_finished_at()` is the one
definition of a job's finish time (completed_at for completed jobs, the last change for
failed and cancelled ones), used by the index, the cleaner and the export alike;
`job_events_json()` is a job's timeline as the archive and the export write it.
`cleanup_runs` is the history of every run, scheduled or asked for, dry or not.

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQL functions this simple are inlined, so the index below serves queries that call it.
    op.execute("""
        CREATE FUNCTION job_finished_at(completed_at timestamptz, updated_at timestamptz)
        RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS 'SELECT coalesce(completed_at, updated_at)'
    """)
    op.execute("""
        CREATE INDEX jobs_finished_idx ON jobs (status, job_finished_at(completed_at, updated_at))
        WHERE status IN ('completed', 'failed', 'cancelled')
    """)
    op.execute("""
        CREATE FUNCTION job_events_json(job uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'kind', kind, 'at', at, 'attempt', attempt,
                       'worker_id', worker_id, 'detail', detail) ORDER BY id), '[]'::jsonb)
            FROM job_events WHERE job_id = job
        $$
    """)
    op.execute("""
        CREATE TABLE job_retired_counts (
            status text NOT NULL,
            type text NOT NULL,
            count bigint NOT NULL,
            PRIMARY KEY (status, type)
        )
    """)
    op.execute("""
        CREATE TABLE cleanup_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            started_at timestamptz NOT NULL,
            duration_ms integer NOT NULL CONSTRAINT cleanup_runs_duration_check
                CHECK (duration_ms >= 0),
            trigger text NOT NULL CONSTRAINT cleanup_runs_trigger_check
                CHECK (trigger IN ('schedule', 'api', 'cli')),
            requested_by text,
            dry_run boolean NOT NULL,
            deleted jsonb NOT NULL,
            archived_to text,
            archive_files text[] NOT NULL DEFAULT '{}',
            error text
        )
    """)
    op.execute("CREATE INDEX cleanup_runs_started_at_idx ON cleanup_runs (started_at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE cleanup_runs")
    op.execute("DROP TABLE job_retired_counts")
    op.execute("DROP FUNCTION job_events_json(uuid)")
    op.execute("DROP INDEX jobs_finished_idx")
    op.execute("DROP FUNCTION job_finished_at(timestamptz, timestamptz)")
