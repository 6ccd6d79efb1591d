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
-- Insert a job with its `created` event, unless its idempotency key is taken or its type is
-- not registered (then no row). The type's row is share-locked and read after any retiring
-- transaction commits, so a job is never created of a type being deleted.
WITH inserted AS (
    INSERT INTO jobs (id, type, priority, payload, max_attempts, scheduled_for,
                      idempotency_key, request_fingerprint, concurrency_key, callback_url)
    SELECT :id, t.name, :priority, CAST(:payload AS jsonb), :max_attempts, :scheduled_for,
           :idempotency_key, :fingerprint, :concurrency_key, :callback_url
    FROM job_types AS t
    WHERE t.name = :type AND t.retired_at IS NULL
    FOR KEY SHARE
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING *
), created AS (
    INSERT INTO job_events (job_id, kind, attempt) SELECT id, 'created', 0 FROM inserted
)
SELECT * FROM inserted;

-- name: job_insert_many
-- Insert a whole batch with its `created` events: arrays in, unnest, no per-row round trips.
-- Rows of a type not registered are left out (the caller refuses a short batch), with the
-- same share lock as job_insert_one.
WITH inserted AS (
    INSERT INTO jobs (id, type, priority, payload, max_attempts, scheduled_for, concurrency_key,
                      callback_url)
    SELECT id, type, priority, payload::jsonb, max_attempts, scheduled_for, concurrency_key,
           callback_url
    FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:priorities AS smallint[]),
                CAST(:payloads AS text[]), CAST(:max_attempts AS integer[]),
                CAST(:scheduled_fors AS timestamptz[]), CAST(:concurrency_keys AS text[]),
                CAST(:callback_urls AS text[]))
         AS batch (id, type, priority, payload, max_attempts, scheduled_for, concurrency_key,
                   callback_url)
    WHERE batch.type IN (
        SELECT name FROM job_types
        WHERE name = ANY(CAST(:types AS text[])) AND retired_at IS NULL
        FOR KEY SHARE
    )
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
-- The status of each of these jobs that exists, and its type's name if that type was deleted.
SELECT j.id, j.status, CASE WHEN t.retired_at IS NOT NULL THEN t.name END AS retired_type
FROM jobs AS j JOIN job_types AS t ON t.name = j.type
WHERE j.id = ANY(CAST(:ids AS uuid[]));

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
-- A job of a deleted type stays as it is: the type's row is share-locked as when creating one.
WITH retried AS (
    UPDATE jobs SET status = 'pending', attempts = 0, scheduled_for = NULL, result = NULL,
                    error = NULL, completed_at = NULL, locked_by = NULL, locked_until = NULL,
                    updated_at = now()
    WHERE id = ANY(CAST(:ids AS uuid[])) AND status = ANY(CAST(:allowed AS text[]))
      AND type IN (
          SELECT name FROM job_types WHERE retired_at IS NULL AND name = jobs.type FOR KEY SHARE
      )
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
-- How many jobs there have been of each status and type: those in the table, from the rollup
-- the triggers append to, and those the cleaner retired (so totals do not drop when it runs).
SELECT status, type, sum(count)::bigint AS count
FROM (
    SELECT status, type, delta AS count FROM job_count_deltas
    UNION ALL
    SELECT status, type, count FROM job_retired_counts
) AS counted
GROUP BY status, type HAVING sum(count) <> 0;

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
-- Every registered job type (retired ones left out) with its controls, and how many of its
-- jobs are pending and processing now (from the count rollup, never a scan of jobs).
-- Built-ins first, then by name; :name (or NULL for all) picks one.
SELECT t.name, t.payload_schema, t.description, t.builtin, t.paused, t.concurrency,
       t.key_concurrency, t.rate_limit_jobs, t.rate_limit_seconds, t.timeout_seconds,
       t.default_max_attempts, t.updated_at,
       coalesce(sum(c.delta) FILTER (WHERE c.status = 'pending'), 0)::bigint AS pending,
       coalesce(sum(c.delta) FILTER (WHERE c.status = 'processing'), 0)::bigint AS processing
FROM job_types AS t
LEFT JOIN job_count_deltas AS c ON c.type = t.name AND c.status IN ('pending', 'processing')
WHERE t.retired_at IS NULL AND (CAST(:name AS text) IS NULL OR t.name = CAST(:name AS text))
GROUP BY t.name
ORDER BY t.builtin DESC, t.name;

-- name: job_type_catalog
-- What creating a job needs of each registered type: its schema (custom types) and defaults.
SELECT name, builtin, payload_schema::text AS payload_schema, default_max_attempts
FROM job_types WHERE retired_at IS NULL;

-- name: job_type_lock
-- A type's row, locked until the transaction ends: registering, changing and deleting a type
-- each see the last one's outcome, and a retiring type waits out the jobs being created of it.
SELECT name, builtin, retired_at FROM job_types WHERE name = :name FOR UPDATE;

-- name: job_type_upsert
-- Register a custom type, or replace its schema and description (a retired one is revived).
-- `inserted` tells a new row from an existing one. Built-ins are never touched.
INSERT INTO job_types (name, payload_schema, description)
VALUES (:name, CAST(:schema AS json), :description)
ON CONFLICT (name) DO UPDATE
    SET payload_schema = EXCLUDED.payload_schema, description = EXCLUDED.description,
        retired_at = NULL, updated_at = now()
    WHERE NOT job_types.builtin
RETURNING (xmax = 0) AS inserted;

-- name: job_type_claim_lock
-- Wait for the claim of type :name under way in any worker service, and keep the next one
-- waiting until this transaction ends: a change of limits and rate slots lands between claims.
SELECT job_type_claim_lock(:name);

-- name: job_type_controls_update
-- Change the controls a PATCH sent (a `set_` flag per control says whether it was sent; a
-- NULL value lifts the limit), leaving the others as they are.
UPDATE job_types SET
    paused = CASE WHEN CAST(:set_paused AS boolean) THEN CAST(:paused AS boolean)
                  ELSE paused END,
    concurrency = CASE WHEN CAST(:set_concurrency AS boolean) THEN CAST(:concurrency AS integer)
                       ELSE concurrency END,
    key_concurrency = CASE WHEN CAST(:set_key_concurrency AS boolean) THEN CAST(:key_concurrency AS integer)
                           ELSE key_concurrency END,
    rate_limit_jobs = CASE WHEN CAST(:set_rate_limit AS boolean) THEN CAST(:rate_limit_jobs AS integer)
                           ELSE rate_limit_jobs END,
    rate_limit_seconds = CASE WHEN CAST(:set_rate_limit AS boolean)
                              THEN CAST(:rate_limit_seconds AS double precision)
                              ELSE rate_limit_seconds END,
    timeout_seconds = CASE WHEN CAST(:set_timeout_seconds AS boolean)
                           THEN CAST(:timeout_seconds AS double precision)
                           ELSE timeout_seconds END,
    default_max_attempts = CASE WHEN CAST(:set_default_max_attempts AS boolean)
                                THEN CAST(:default_max_attempts AS integer)
                                ELSE default_max_attempts END,
    updated_at = now()
WHERE name = :name AND retired_at IS NULL
RETURNING name;

-- name: job_type_rate_slots_rebuild
-- Give type :type a ring of :jobs rate slots (0 removes them), numbered in the order the
-- claims will use them from slot 0: the unused ones first, then the most recently used of
-- the old slots (up to :jobs of them), oldest first, so claims already in the window still
-- count against a changed limit. Reset the cursor with job_type_rate_cursor_reset.
WITH old AS (
    DELETE FROM job_type_rate_slots WHERE type = :type RETURNING used_at
), kept AS (
    SELECT used_at, row_number() OVER (ORDER BY used_at DESC) AS recency FROM old
)
INSERT INTO job_type_rate_slots (type, slot, used_at)
SELECT :type, slot, coalesce(kept.used_at, '-infinity')
FROM generate_series(0, :jobs - 1) AS slot
LEFT JOIN kept ON kept.recency = :jobs - slot;

-- name: job_type_rate_cursor_reset
-- The ring of type :type starts again at slot 0 (none when :jobs is 0).
WITH gone AS (
    DELETE FROM job_type_rate_cursors WHERE type = :type AND :jobs = 0
)
INSERT INTO job_type_rate_cursors (type, next_slot)
SELECT :type, 0 WHERE :jobs > 0
ON CONFLICT (type) DO UPDATE SET next_slot = 0;

-- name: job_type_jobs_in_flight
-- How many jobs of a type are pending and processing (each status read from its own index).
SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'processing') AS processing
FROM jobs WHERE type = :name AND status IN ('pending', 'processing');

-- name: job_type_retire
-- Retire a custom type: it leaves the list and takes no new jobs; its finished jobs keep its
-- name. Its controls are cleared, so a later registration of the name starts afresh.
UPDATE job_types SET
    retired_at = now(), updated_at = now(), paused = false, concurrency = NULL,
    key_concurrency = NULL, rate_limit_jobs = NULL, rate_limit_seconds = NULL,
    timeout_seconds = NULL, default_max_attempts = NULL
WHERE name = :name AND NOT builtin;

-- name: delivery_list
-- A job's callback deliveries, newest first, each with its tries oldest first.
SELECT d.id, d.event, d.url, d.state, d.created_at, d.finished_at,
       CASE WHEN d.finished_at IS NULL THEN d.next_try_at END AS next_try_at,
       coalesce((
           SELECT json_agg(json_build_object(
               'at', a.at, 'duration_ms', a.duration_ms, 'status_code', a.status_code,
               'error', a.error, 'response_excerpt', a.response_excerpt) ORDER BY a.id)
           FROM callback_attempts AS a WHERE a.delivery_id = d.id
       ), '[]') AS attempts
FROM callback_deliveries AS d
WHERE d.job_id = :id
ORDER BY d.created_at DESC, d.id;

-- name: delivery_requeue
-- Send a finished job's outcome again: a new delivery (a new webhook-id) of the event its
-- last delivery told, to its callback_url now. No row when it is not finished, has no
-- callback, or was never told (finished before it had a callback).
INSERT INTO callback_deliveries (job_id, event, url)
SELECT jobs.id, last.event, jobs.callback_url
FROM jobs
CROSS JOIN LATERAL (
    SELECT event FROM callback_deliveries
    WHERE job_id = jobs.id
    ORDER BY created_at DESC, id
    LIMIT 1
) AS last
WHERE jobs.id = :id AND jobs.status IN ('completed', 'failed') AND jobs.callback_url IS NOT NULL
RETURNING id;

-- name: alert_list_recent
-- The last :limit alerts, newest first.
SELECT id, rule, subject, text, created_at, sent_at, error
FROM alerts
ORDER BY created_at DESC, id DESC
LIMIT :limit;
-- name: analytics_window_start
-- Where a window of :buckets buckets of :step starts (its last bucket holds now), as the
-- throughput series counts it.
SELECT date_bin(CAST(:step AS interval), now(), TIMESTAMPTZ '2000-01-01')
           - CAST(:step AS interval) * (:buckets - 1) AS since;

-- name: analytics_histograms
-- Per bucket of :step since :since, type (:types, NULL: all) and timing measure: jobs with
-- no claim time (`untimed`), and the histogram of the others' times (`jobs[k + 1]`: jobs in
-- bin k). The compactor keeps one row per bucket at each window's step (migration 0016); the
-- trigger rows it has not folded yet are added as rows of their own.
SELECT period AS bucket, type, measure, untimed, jobs
FROM job_analytics_histograms
WHERE grain = CAST(:step AS interval)
  AND period >= :since
  AND (CAST(:types AS text[]) IS NULL OR type = ANY(CAST(:types AS text[])))
UNION ALL
SELECT bucket, type, measure,
       coalesce(sum(jobs) FILTER (WHERE bin IS NULL), 0)::bigint,
       job_histogram(array_agg(bin) FILTER (WHERE bin IS NOT NULL),
                     array_agg(jobs) FILTER (WHERE bin IS NOT NULL))
FROM (
    SELECT date_bin(CAST(:step AS interval), period, TIMESTAMPTZ '2000-01-01') AS bucket,
           type, measure, bin, sum(jobs)::bigint AS jobs
    FROM job_analytics_deltas
    WHERE measure <> 'created'
      AND period >= :since
      AND (CAST(:types AS text[]) IS NULL OR type = ANY(CAST(:types AS text[])))
    GROUP BY 1, 2, 3, 4
) AS fresh
GROUP BY bucket, type, measure;

-- name: analytics_bin_seconds
-- The duration each histogram bin 0..:last stands for (its geometric middle), in seconds.
SELECT array_agg(job_duration_bin_seconds(bin) ORDER BY bin)
FROM generate_series(0, :last) AS bin;

-- name: analytics_created_by_hour
-- Jobs created per ISO weekday (1 = Monday) and hour, UTC, in the 168 hours up to now: the
-- compactor's hours (migration 0016) and the trigger rows it has not folded yet.
SELECT extract(isodow FROM hour AT TIME ZONE 'UTC')::integer AS weekday,
       extract(hour FROM hour AT TIME ZONE 'UTC')::integer AS hour,
       sum(jobs)::bigint AS jobs
FROM (
    SELECT hour, jobs
    FROM job_created_hours
    WHERE hour >= date_trunc('hour', now()) - interval '167 hours'
      AND (CAST(:types AS text[]) IS NULL OR type = ANY(CAST(:types AS text[])))
    UNION ALL
    SELECT period, jobs
    FROM job_analytics_deltas
    WHERE measure = 'created'
      AND period >= date_trunc('hour', now()) - interval '167 hours'
      AND (CAST(:types AS text[]) IS NULL OR type = ANY(CAST(:types AS text[])))
) AS created
GROUP BY 1, 2;

-- name: analytics_error_groups
-- The :limit error groups with the most failed attempts since :since (types :types or all):
-- the masked message, the types, first and last seen, and the latest message and job.
SELECT error_group AS "group",
       job_error_fingerprint((array_agg(sample ORDER BY last_at DESC))[1]) AS pattern,
       (array_agg(sample ORDER BY last_at DESC))[1] AS sample,
       sum(failures)::bigint AS count,
       array_agg(DISTINCT type ORDER BY type) AS types,
       min(first_at) AS first_seen,
       max(last_at) AS last_seen,
       (array_agg(sample_job ORDER BY last_at DESC))[1] AS sample_job
FROM job_error_deltas
WHERE period >= :since
  AND (CAST(:types AS text[]) IS NULL OR type = ANY(CAST(:types AS text[])))
GROUP BY error_group
ORDER BY count DESC, last_seen DESC
LIMIT :limit;

-- name: job_analytics_compact
-- Fold the analytics rollups' rows together, the timings into histograms of each :grains
-- kept for the matching :spans (migration 0016); how many rows each table lost.
SELECT analytics_rows_removed, error_rows_removed
FROM job_analytics_compact(CAST(:grains AS interval[]), CAST(:spans AS interval[]));
-- name: schedule_insert
-- Create a schedule, unless its name is taken (then no row).
INSERT INTO schedules (name, cron, timezone, job, enabled, next_run_at)
VALUES (:name, :cron, :timezone, CAST(:job AS jsonb), :enabled, :next_run_at)
ON CONFLICT (name) DO NOTHING
RETURNING name;

-- name: schedule_list
-- Schedules (:name, or NULL for all) by name, each with the newest job it made
-- (jobs_schedule_created_at_idx finds it).
SELECT s.name, s.cron, s.timezone, s.job, s.enabled, s.next_run_at, s.created_at,
       s.updated_at, last.id AS last_job_id, last.status AS last_job_status,
       last.created_at AS last_job_created_at
FROM schedules AS s
LEFT JOIN LATERAL (
    SELECT id, status, created_at FROM jobs
    WHERE schedule = s.name
    ORDER BY created_at DESC, id DESC
    LIMIT 1
) AS last ON true
WHERE CAST(:name AS text) IS NULL OR s.name = CAST(:name AS text)
ORDER BY s.name;

-- name: schedule_lock
-- A schedule's row, locked until the transaction ends: a change waits out a firing under way.
SELECT name, cron, timezone, job, enabled, next_run_at FROM schedules WHERE name = :name
FOR UPDATE;

-- name: schedule_update
-- Replace a schedule's settings and when it is due next.
UPDATE schedules
SET cron = :cron, timezone = :timezone, job = CAST(:job AS jsonb), enabled = :enabled,
    next_run_at = :next_run_at, updated_at = now()
WHERE name = :name;

-- name: schedule_delete
-- Remove a schedule; its jobs stay, still naming it.
DELETE FROM schedules WHERE name = :name RETURNING name;

-- name: schedule_job_run_now
-- Make the schedule's job now, outside its times ("run now"): no fire time, so never
-- refused as a duplicate. No row if the job's type was deleted since.
SELECT * FROM schedule_job_insert(:name, NULL, :detail, :fallback_max_attempts);
