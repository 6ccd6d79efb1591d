"""One statement trigger for updates of `jobs`, doing its bookkeeping in one statement.

Every UPDATE of `jobs` ran three statement triggers (count deltas, analytics, NOTIFY), each a
PL/pgSQL call that re-read the transition tables in statements of its own, two of them
joining new_rows to old_rows. Claims, completions and renewals paid all of it (issue #12).

Now one trigger, whose function runs one statement: the rows whose status changed are found
once (a join of the transition tables) and feed every delta table from data-modifying CTEs.
A statement that changes no status (a lease renewal, a priority change) finds none and
writes nothing. What is written is what the update triggers of 0001, 0002 and 0013 wrote,
row for row, into the same tables; their functions stay (the insert and delete triggers
still use them). The insert triggers are left as they were: combined the same way, a batch
insert measured 16 % faster but the searches after it twice as slow, unexplained yet
(bench/README.md).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The triggers this migration replaces, with what each ran (for the downgrade).
_REPLACED = {
    "jobs_count_updates": (
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "jobs_record_count_deltas",
    ),
    "jobs_analytics_updates": (
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "jobs_record_analytics",
    ),
    "jobs_notify_updates": ("UPDATE", "NEW TABLE AS new_rows", "jobs_notify_pending"),
}


def upgrade() -> None:
    for name in _REPLACED:
        op.execute(f"DROP TRIGGER {name} ON jobs")
    _create_update_trigger()


def _create_update_trigger() -> None:
    # Every delta an update writes comes from a change of status (or type): `changed` is
    # read once, and empty for renewals, heartbeats and edits of pending jobs.
    # A wait runs from when the job became ready (its creation, a retry or a back-off's
    # end); a run from its claim to its end; failed attempts count by error group whether
    # retried or not (and leases that expired).
    op.execute("""
        CREATE FUNCTION jobs_record_updates() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            WITH changed AS MATERIALIZED (
                SELECT n.id, n.type, n.status, o.type AS old_type, o.status AS old_status,
                       n.claimed_at, coalesce(n.completed_at, n.updated_at) AS finished_at,
                       greatest(o.created_at, o.updated_at, o.scheduled_for) AS ready_at,
                       n.updated_at, n.error, n.error_group
                FROM new_rows AS n JOIN old_rows AS o USING (id)
                WHERE n.status <> o.status OR n.type <> o.type
            ), counted AS (
                INSERT INTO job_count_deltas (status, type, delta)
                SELECT status, type, sum(delta) FROM (
                    SELECT status, type, 1 AS delta FROM changed
                    UNION ALL
                    SELECT old_status, old_type, -1 FROM changed
                ) AS changes
                GROUP BY status, type HAVING sum(delta) <> 0
            ), finished AS (
                INSERT INTO job_throughput_deltas (minute, completed, failed)
                SELECT date_trunc('minute', now()),
                       count(*) FILTER (WHERE status = 'completed'),
                       count(*) FILTER (WHERE status = 'failed')
                FROM changed
                WHERE status IN ('completed', 'failed') AND old_status <> status
                HAVING count(*) > 0
            ), failures AS (
                INSERT INTO job_error_deltas
                    (period, type, error_group, failures, first_at, last_at, sample, sample_job)
                SELECT date_trunc('minute', updated_at), type, error_group, count(*),
                       min(updated_at), max(updated_at),
                       (array_agg(left(error, 1000) ORDER BY updated_at DESC))[1],
                       (array_agg(id ORDER BY updated_at DESC))[1]
                FROM changed
                WHERE old_status = 'processing' AND status IN ('pending', 'failed')
                  AND error_group IS NOT NULL
                GROUP BY 1, 2, 3
            )
            -- A change is a claim (a wait ended) or an attempt's end (a run), never both:
            -- one row and one bin per job.
            INSERT INTO job_analytics_deltas (period, type, measure, bin, jobs)
            SELECT date_trunc('minute', t.at), t.type, t.measure,
                   job_duration_bin(extract(epoch FROM t.took)::float8), count(*)
            FROM (
                SELECT type,
                       CASE WHEN status = 'processing' THEN 'waited' ELSE status END AS measure,
                       CASE WHEN status = 'processing' THEN claimed_at ELSE finished_at END
                           AS at,
                       CASE WHEN status = 'processing' THEN claimed_at - ready_at
                            ELSE finished_at - claimed_at END AS took
                FROM changed
                WHERE (old_status <> 'processing' AND status = 'processing'
                       AND claimed_at IS NOT NULL)
                   OR (old_status = 'processing' AND status IN ('completed', 'failed'))
            ) AS t
            GROUP BY 1, 2, 3, 4;
            -- Any pending row: a retry, a back-off, or an edit a long-poll should see.
            IF EXISTS (SELECT FROM new_rows WHERE status = 'pending') THEN
                PERFORM pg_notify('jobdeck_jobs_pending', '');
            END IF;
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER jobs_updates_recorded AFTER UPDATE ON jobs
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_record_updates()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_updates_recorded ON jobs")
    op.execute("DROP FUNCTION jobs_record_updates()")
    for name, (event, tables, function) in _REPLACED.items():
        op.execute(f"""
            CREATE TRIGGER {name} AFTER {event} ON jobs
            REFERENCING {tables}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}()
        """)
