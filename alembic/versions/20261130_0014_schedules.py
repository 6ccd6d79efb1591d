"""Schedules: recurring jobs that fire exactly once per fire time, however many worker services.

Users of other queues complain most about duplicate cron runs when several schedulers run.
Here the database rules it out twice over: a scheduler takes a due schedule's row with FOR
UPDATE SKIP LOCKED and moves `next_run_at` past now in the same transaction as the job's
insert, and a unique index on `(schedule, schedule_fire_at)` refuses a second job for the same
fire time should anything else go wrong. A manual run ("run now") has no fire time, so the
index leaves it alone.

`jobs.schedule` names the schedule that made a job (text, not a foreign key: a job outlives
its schedule). `schedule_job_insert()` is the one statement that makes a job from a schedule's
template: the producer API's "run now" and the worker service's scheduler both call it, so the
template is read one way only. `max_attempts` left out of a template is the type's default at
the time the job is made, as it would be for POST /jobs then.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE schedules (
            name text PRIMARY KEY,
            cron text NOT NULL,
            timezone text NOT NULL,
            job jsonb NOT NULL,
            enabled boolean NOT NULL DEFAULT true,
            next_run_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    # The schedulers' one probe: due and enabled, soonest first.
    op.execute("CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE enabled")
    # Nullable, no default: adding them rewrites no row of a big jobs table.
    op.execute("ALTER TABLE jobs ADD COLUMN schedule text, ADD COLUMN schedule_fire_at timestamptz")
    op.execute("""
        CREATE UNIQUE INDEX jobs_schedule_fire_key ON jobs (schedule, schedule_fire_at)
        WHERE schedule_fire_at IS NOT NULL
    """)
    # GET /jobs?schedule= and a schedule's last job, newest first.
    op.execute("""
        CREATE INDEX jobs_schedule_created_at_idx ON jobs (schedule, created_at, id)
        WHERE schedule IS NOT NULL
    """)
    op.execute("""
        CREATE FUNCTION schedule_job_insert(
            schedule_name text, fire_at timestamptz, event_detail text,
            fallback_max_attempts integer
        ) RETURNS SETOF jobs LANGUAGE sql AS $$
            WITH inserted AS (
                INSERT INTO jobs (type, priority, payload, max_attempts, concurrency_key,
                                  callback_url, schedule, schedule_fire_at)
                SELECT t.name, (s.job ->> 'priority')::smallint, s.job -> 'payload',
                       coalesce((s.job ->> 'max_attempts')::integer, t.default_max_attempts,
                                fallback_max_attempts),
                       s.job ->> 'concurrency_key', s.job ->> 'callback_url', s.name, fire_at
                FROM schedules AS s
                JOIN job_types AS t ON t.name = s.job ->> 'type' AND t.retired_at IS NULL
                WHERE s.name = schedule_name
                -- As job_insert_one: never a job of a type being deleted.
                FOR KEY SHARE OF t
                ON CONFLICT (schedule, schedule_fire_at) WHERE schedule_fire_at IS NOT NULL
                DO NOTHING
                RETURNING *
            ), created AS (
                INSERT INTO job_events (job_id, kind, attempt, detail)
                SELECT id, 'created', 0, event_detail FROM inserted
            )
            SELECT * FROM inserted
        $$
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION schedule_job_insert(text, timestamptz, text, integer)")
    op.execute("DROP INDEX jobs_schedule_created_at_idx")
    op.execute("DROP INDEX jobs_schedule_fire_key")
    op.execute("ALTER TABLE jobs DROP COLUMN schedule_fire_at, DROP COLUMN schedule")
    op.execute("DROP TABLE schedules")
