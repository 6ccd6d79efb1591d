-- Every static statement the producer API runs. Each block starts with `-- name: <name>` and a
-- one-line description; queries.py loads them once as sa.text with named binds. store.py runs
-- them, each in one short transaction; the list page and its total, composed per request, are
-- job_listing.py's and job_counts.py's. Names are noun first, so a table's statements sort
-- together.
--
-- Every state change writes its timeline event in the same statement (a data-modifying CTE),
-- so a job and its history can never disagree. The statuses an action may start from are
-- bound from job_contract.transitions (allowed), never written here.

-- name: job_insert_one
-- Insert a job with its `created` event, unless its idempotency key is taken (then no row).
WITH inserted AS (
    INSERT INTO jobs (id, type, priority, payload, max_attempts, scheduled_for,
                      idempotency_key, request_fingerprint)
    VALUES (:id, :type, :priority, CAST(:payload AS jsonb), :max_attempts, :scheduled_for,
            :idempotency_key, :fingerprint)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING *
), created AS (
    INSERT INTO job_events (job_id, kind, attempt) SELECT id, 'created', 0 FROM inserted
)
SELECT * FROM inserted;

-- name: job_insert_many
-- Insert a whole batch with its `created` events: arrays in, unnest, no per-row round trips.
WITH inserted AS (
    INSERT INTO jobs (id, type, priority, payload, max_attempts, scheduled_for)
    SELECT id, type, priority, payload::jsonb, max_attempts, scheduled_for
    FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:priorities AS smallint[]),
                CAST(:payloads AS text[]), CAST(:max_attempts AS integer[]),
                CAST(:scheduled_fors AS timestamptz[]))
         AS batch (id, type, priority, payload, max_attempts, scheduled_for)
    RETURNING *
), created AS (
    INSERT INTO job_events (job_id, kind, attempt) SELECT id, 'created', 0 FROM inserted
)
SELECT * FROM inserted;

-- name: job_get
-- One job by id.
SELECT * FROM jobs WHERE id = :id;

-- name: job_get_by_idempotency_key
-- The job created with this idempotency key, with the fingerprint of the request that did.
SELECT * FROM jobs WHERE idempotency_key = :key;

-- name: job_status_list
-- The status of each of these jobs that exists.
SELECT id, status FROM jobs WHERE id = ANY(CAST(:ids AS uuid[]));

-- name: job_cancel_many
-- Cancel the jobs whose status allows it, logging a `cancelled` event for each.
WITH cancelled AS (
    UPDATE jobs SET status = 'cancelled', updated_at = now()
    WHERE id = ANY(CAST(:ids AS uuid[])) AND status = ANY(CAST(:allowed AS text[]))
    RETURNING *
), logged AS (
    INSERT INTO job_events (job_id, kind, attempt)
    SELECT id, 'cancelled', attempts FROM cancelled
)
SELECT * FROM cancelled;

-- name: job_retry_many
-- Start the jobs whose status allows it afresh (attempts from 0, no schedule, no leftover outcome).
WITH retried AS (
    UPDATE jobs SET status = 'pending', attempts = 0, scheduled_for = NULL, result = NULL,
                    error = NULL, completed_at = NULL, locked_by = NULL, locked_until = NULL,
                    updated_at = now()
    WHERE id = ANY(CAST(:ids AS uuid[])) AND status = ANY(CAST(:allowed AS text[]))
    RETURNING *
), logged AS (
    INSERT INTO job_events (job_id, kind, attempt) SELECT id, 'retried', 0 FROM retried
)
SELECT * FROM retried;

-- name: job_delete_many
-- Delete the jobs whose status allows it; their events, search text and artifact go with them.
DELETE FROM jobs
WHERE id = ANY(CAST(:ids AS uuid[])) AND status = ANY(CAST(:allowed AS text[]))
RETURNING id;

-- name: job_event_list
-- A job's timeline, oldest first.
SELECT * FROM job_events WHERE job_id = :id ORDER BY id;

-- name: job_artifact_get
-- The file a report job produced.
SELECT content_type, filename, content FROM job_artifacts WHERE job_id = :id;

-- name: job_count_by_status_and_type
-- How many jobs there are of each status and type, from the rollup the triggers append to.
SELECT status, type, sum(delta)::bigint AS count
FROM job_count_deltas GROUP BY status, type HAVING sum(delta) <> 0;

-- name: job_count_matching
-- How many jobs have one of the statuses and one of the types (NULL: any), from the rollup.
SELECT coalesce(sum(delta), 0)::bigint AS count
FROM job_count_deltas
WHERE (CAST(:statuses AS text[]) IS NULL OR status = ANY(CAST(:statuses AS text[])))
  AND (CAST(:types AS text[]) IS NULL OR type = ANY(CAST(:types AS text[])));

-- name: job_throughput_series
-- Completed and failed jobs per bucket, zero-filled, the last bucket the one holding now.
WITH buckets AS (
    SELECT generate_series(
        date_bin(CAST(:step AS interval), now(), TIMESTAMPTZ '2000-01-01')
            - CAST(:step AS interval) * (:buckets - 1),
        date_bin(CAST(:step AS interval), now(), TIMESTAMPTZ '2000-01-01'),
        CAST(:step AS interval)) AS bucket
)
-- Each bucket sums the minute rollups inside it.
SELECT buckets.bucket,
       coalesce(sum(t.completed), 0)::bigint AS completed,
       coalesce(sum(t.failed), 0)::bigint AS failed
FROM buckets
LEFT JOIN job_throughput_deltas AS t
       ON t.minute >= buckets.bucket AND t.minute < buckets.bucket + CAST(:step AS interval)
GROUP BY buckets.bucket ORDER BY buckets.bucket;

-- name: job_stats_compact
-- Fold the rollups' rows together (see the migrations); how many rows each fold removed.
SELECT count_rows_removed, throughput_rows_removed FROM job_stats_compact();

-- name: statement_timeout_set
-- Cancel the transaction's next statements after this many milliseconds (SET LOCAL).
SELECT set_config('statement_timeout', :milliseconds, true);

-- name: statement_timeout_reset
-- The transaction's statements run as long as the server's default allows again.
SET LOCAL statement_timeout = DEFAULT;

-- name: database_ping
-- Is the database there?
SELECT 1;

-- name: job_type_list
-- Every job type with its controls, and how many of its jobs are pending and processing now
-- (from the count rollup, never a scan of jobs). Built-ins first, then by name.
SELECT t.name, t.payload_schema, t.description, t.builtin, t.paused, t.concurrency,
       t.key_concurrency, t.rate_limit_jobs, t.rate_limit_seconds, t.timeout_seconds,
       t.default_max_attempts, t.updated_at,
       coalesce(sum(c.delta) FILTER (WHERE c.status = 'pending'), 0)::bigint AS pending,
       coalesce(sum(c.delta) FILTER (WHERE c.status = 'processing'), 0)::bigint AS processing
FROM job_types AS t
LEFT JOIN job_count_deltas AS c ON c.type = t.name AND c.status IN ('pending', 'processing')
GROUP BY t.name
ORDER BY t.builtin DESC, t.name;
