-- The cleaner's statements and its history's. A job's finish time is job_finished_at()
-- (migration 0011), which jobs_finished_idx indexes per finished status.

-- name: job_retire_count
-- How many jobs of one finished status finished more than $2 days ago (a dry run's answer).
SELECT count(*)::bigint
FROM jobs
WHERE status = $1 AND job_finished_at(completed_at, updated_at) < now() - make_interval(days => $2);

-- name: job_retire_lock
-- Up to $3 jobs of status $1 that finished more than $2 days ago, oldest first, locked for
-- this transaction; rows another cleaner holds are skipped, so replicas never collide.
SELECT id
FROM jobs
WHERE status = $1 AND job_finished_at(completed_at, updated_at) < now() - make_interval(days => $2)
ORDER BY job_finished_at(completed_at, updated_at)
LIMIT $3
FOR UPDATE SKIP LOCKED;

-- name: job_archive_rows
-- The locked jobs as the archive keeps them: every column, the finish time, and the timeline.
SELECT jobs.*, job_finished_at(completed_at, updated_at) AS finished_at,
       job_events_json(id) AS events
FROM jobs
WHERE id = ANY($1::uuid[]);

-- name: job_retire_delete
-- Delete the locked jobs (events, artifacts and search rows cascade) and add them to the
-- retired counts that /stats adds to the live ones; answer how many went per status.
WITH gone AS (
    DELETE FROM jobs WHERE id = ANY($1::uuid[]) RETURNING status, type
), counted AS (
    SELECT status, type, count(*)::bigint AS n FROM gone GROUP BY status, type
), retired AS (
    INSERT INTO job_retired_counts AS r (status, type, count)
    SELECT status, type, n FROM counted
    ON CONFLICT (status, type) DO UPDATE SET count = r.count + excluded.count
)
SELECT status, sum(n)::bigint AS n FROM counted GROUP BY status;

-- name: cleanup_run_insert
-- Record one run in the history.
INSERT INTO cleanup_runs (
    started_at, duration_ms, trigger, requested_by, dry_run, deleted, archived_to,
    archive_files, error
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: cleanup_run_list
-- The latest runs, newest first.
SELECT * FROM cleanup_runs ORDER BY started_at DESC, id DESC LIMIT $1;

-- name: table_sizes
-- On-disk size (with indexes and TOAST) and the live-row estimate of the tables the cleaner
-- shrinks, from PostgreSQL's own catalog and statistics: no table is scanned.
SELECT c.relname AS name, pg_total_relation_size(c.oid)::bigint AS bytes,
       coalesce(s.n_live_tup, 0)::bigint AS rows_estimate
FROM pg_class AS c
LEFT JOIN pg_stat_user_tables AS s ON s.relid = c.oid
WHERE c.relkind = 'r' AND c.relnamespace = to_regnamespace(current_schema())
  AND c.relname = ANY($1::text[]);

-- name: cleanup_run_seconds_since_scheduled
-- Seconds since the last scheduled run started (any replica's); NULL when none has.
SELECT extract(epoch FROM now() - max(started_at))::float8
FROM cleanup_runs WHERE trigger = 'schedule';
