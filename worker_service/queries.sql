-- Every statement the worker service runs. Each block starts with `-- name: <name>` and a
-- one-line description; store.py loads them once (jobdeck_db.queries.load_queries) and is the
-- only code that runs them. Names are noun first, so a table's statements sort together.
--
-- The fencing rule used throughout: a runner's outcome counts only while the job is still
-- `processing` in the attempt it claimed (and, when it says who it is, under its own name).
--
-- Statuses are written as literals, not bound: the partial indexes (jobs_claim_idx on
-- `status = 'pending'`, jobs_lease_idx and jobs_locked_by_idx on `status = 'processing'`)
-- match only a literal, and a bound status would lose them under a cached generic plan.
-- A test holds these literals to job_contract's statuses.

-- name: job_claim
-- Claim up to $2 of the most urgent claimable jobs for runner $1 (types $3, or any when NULL),
-- leasing them for $4 seconds and logging a `claimed` event for each, in one statement.
WITH claimable AS (
    SELECT id
    FROM jobs
    -- A literal, so the plan keeps the partial index jobs_claim_idx (see the top of the file).
    WHERE status = 'pending'
      AND (scheduled_for IS NULL OR scheduled_for <= now())
      AND ($3::text[] IS NULL OR type = ANY($3::text[]))
    ORDER BY priority DESC, created_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE jobs
    SET status = 'processing',
        attempts = jobs.attempts + 1,
        locked_by = $1,
        locked_until = now() + make_interval(secs => $4),
        claimed_at = now(),
        updated_at = now()
    -- An id array rather than a join: the plan stays a primary-key lookup even when the
    -- planner cannot know how many rows LIMIT $2 keeps (a cached generic plan).
    WHERE jobs.id = ANY (ARRAY(SELECT id FROM claimable))
    RETURNING jobs.*
), logged AS (
    INSERT INTO job_events (job_id, kind, attempt, worker_id)
    SELECT id, 'claimed', attempts, locked_by FROM claimed
)
SELECT *, extract(epoch FROM claimed_at - coalesce(scheduled_for, created_at))::float8 AS waited_seconds
FROM claimed
ORDER BY priority DESC, created_at, id;

-- name: job_next_scheduled
-- When the earliest pending job scheduled in the future (or backing off) becomes claimable.
SELECT min(scheduled_for) - now() AS wait
FROM jobs
WHERE status = 'pending' AND scheduled_for > now() AND ($1::text[] IS NULL OR type = ANY($1::text[]));

-- name: job_complete
-- Record the results of jobs ($1 ids, $2 attempts or NULL, $3 JSON results) that are still
-- held by the attempt that ran them (and by runner $4, when given); answer those completed.
WITH outcome AS (
    SELECT * FROM unnest($1::uuid[], $2::integer[], $3::text[]) AS o (id, attempt, result)
), held AS (
    SELECT jobs.id, jobs.locked_by AS runner, outcome.result
    FROM jobs JOIN outcome USING (id)
    -- The ids restated, so that with many jobs processing the planner can look these up by
    -- primary key instead of walking the status index (it does while few are processing).
    WHERE jobs.id = ANY($1::uuid[])
      AND jobs.status = 'processing'
      AND (outcome.attempt IS NULL OR jobs.attempts = outcome.attempt)
      AND ($4::text IS NULL OR jobs.locked_by = $4)
    FOR UPDATE OF jobs
), completed AS (
    UPDATE jobs
    SET status = 'completed',
        result = held.result::jsonb,
        completed_at = now(),
        updated_at = now(),
        locked_by = NULL,
        locked_until = NULL
    FROM held
    WHERE jobs.id = held.id
    RETURNING jobs.*, held.runner, extract(epoch FROM now() - jobs.claimed_at)::float8 AS ran_seconds
), logged AS (
    INSERT INTO job_events (job_id, kind, attempt, worker_id)
    SELECT id, 'completed', attempts, runner FROM completed
)
SELECT * FROM completed;

-- name: job_fail
-- Record a failed attempt of job $1 (attempt $2 or NULL, runner $3 or NULL) with error $4:
-- back to pending after the back-off when $5 (retryable) and attempts remain, else failed.
-- The back-off is $6 × 2^(attempt−1) seconds with ±20% jitter, capped at $7 seconds.
WITH held AS (
    SELECT id, locked_by AS runner
    FROM jobs
    WHERE id = $1
      AND status = 'processing'
      AND ($2::integer IS NULL OR attempts = $2)
      AND ($3::text IS NULL OR locked_by = $3)
    FOR UPDATE
), failed AS (
    UPDATE jobs
    SET status = CASE WHEN $5 AND attempts < max_attempts THEN 'pending' ELSE 'failed' END,
        scheduled_for = CASE
            WHEN $5 AND attempts < max_attempts THEN now() + make_interval(secs => least(
                $7::float8, $6::float8 * 2 ^ (attempts - 1) * (0.8 + 0.4 * random())))
            ELSE scheduled_for
        END,
        error = $4,
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    FROM held
    WHERE jobs.id = held.id
    RETURNING jobs.*, held.runner, extract(epoch FROM now() - jobs.claimed_at)::float8 AS ran_seconds
), logged AS (
    INSERT INTO job_events (job_id, kind, attempt, worker_id, detail)
    SELECT id,
           CASE status WHEN 'pending' THEN 'retry_scheduled' ELSE 'failed' END,
           attempts,
           runner,
           CASE status
               WHEN 'pending' THEN format('%s (retry at %s)', error, to_char(
                   scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
               ELSE error
           END
    FROM failed
)
SELECT * FROM failed;

-- name: job_get_holder
-- Who holds job $1, in which attempt and status, and its type: why an outcome for it matched
-- nothing.
SELECT status, attempts, locked_by, type FROM jobs WHERE id = $1;

-- name: job_extend_leases
-- Renew the leases runner $1 still holds among jobs $2 by $3 seconds; answer those renewed.
UPDATE jobs
SET locked_until = now() + make_interval(secs => $3)
WHERE id = ANY($2::uuid[]) AND status = 'processing' AND locked_by = $1
RETURNING id;

-- name: job_rescue_expired
-- Return up to $1 jobs whose lease expired to pending (or failed, with no attempts left),
-- logging a `rescued` event for each. SKIP LOCKED and the re-check inside the UPDATE make
-- it safe while runners finish and while several worker services rescue at once.
WITH expired AS (
    SELECT id, locked_by
    FROM jobs
    -- A literal, so the plan keeps the partial index jobs_lease_idx (see the top of the file).
    WHERE status = 'processing' AND locked_until < now()
    ORDER BY locked_until
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), rescued AS (
    UPDATE jobs
    SET status = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'failed' END,
        error = format('lease of %s expired', expired.locked_by),
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    FROM expired
    WHERE jobs.id = expired.id AND jobs.status = 'processing' AND jobs.locked_until < now()
    RETURNING jobs.id, jobs.status, jobs.attempts, expired.locked_by
), logged AS (
    INSERT INTO job_events (job_id, kind, attempt, worker_id, detail)
    SELECT id, 'rescued', attempts, locked_by,
           CASE status
               WHEN 'pending' THEN format('lease of %s expired; back to pending', locked_by)
               ELSE format('lease of %s expired; no attempts left, failed', locked_by)
           END
    FROM rescued
)
SELECT id, status FROM rescued;

-- name: job_counts_by_status
-- Jobs per status, from the trigger-kept rollup (never a scan of jobs).
SELECT status, sum(delta)::bigint AS count
FROM job_count_deltas
GROUP BY status;

-- name: job_artifact_put
-- Store the file job $1 produced, while it is processing (attempt $5 or any), if it is of
-- type $6: only reports have files.
INSERT INTO job_artifacts (job_id, content_type, filename, content)
SELECT id, $2, $3, $4 FROM jobs
WHERE id = $1 AND status = 'processing' AND ($5::integer IS NULL OR attempts = $5) AND type = $6
ON CONFLICT (job_id) DO UPDATE
SET content_type = excluded.content_type,
    filename = excluded.filename,
    content = excluded.content,
    created_at = now()
RETURNING job_id;

-- name: worker_heartbeat
-- Mark runner $1 alive; $2 is how many jobs it has finished since it started, $3 whether it
-- is stopping for good.
INSERT INTO workers (worker_id, processed, stopped_at)
VALUES ($1, $2, CASE WHEN $3 THEN now() END)
ON CONFLICT (worker_id) DO UPDATE
SET last_heartbeat_at = now(),
    processed = greatest(workers.processed, excluded.processed),
    stopped_at = excluded.stopped_at;

-- name: worker_list
-- Up to $2 runners heard from within $1, stopped ones last, with the jobs each holds now.
-- The runners are chosen first, so the jobs are looked up for those listed only.
SELECT w.worker_id, w.started_at, w.last_heartbeat_at, w.processed, w.stopped_at,
       extract(epoch FROM now() - w.last_heartbeat_at)::float8 AS heartbeat_age_seconds,
       coalesce(held.jobs, '{}') AS jobs
FROM (
    SELECT *
    FROM workers
    WHERE last_heartbeat_at > now() - $1::interval
    ORDER BY stopped_at NULLS FIRST, worker_id
    LIMIT $2
) AS w
LEFT JOIN LATERAL (
    SELECT array_agg(id ORDER BY claimed_at) AS jobs
    FROM jobs
    WHERE status = 'processing' AND locked_by = w.worker_id
) AS held ON true
ORDER BY w.stopped_at NULLS FIRST, w.worker_id;

-- name: worker_forget_stale
-- Drop up to $2 runners not heard from within $1 (the registry would otherwise grow
-- forever); answer how many.
WITH stale AS (
    SELECT worker_id
    FROM workers
    WHERE last_heartbeat_at < now() - $1::interval
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), forgotten AS (
    DELETE FROM workers WHERE worker_id IN (SELECT worker_id FROM stale)
    RETURNING worker_id
)
SELECT count(*) FROM forgotten;

-- name: report_jobs_summary
-- Jobs created in [$1, $2] by type and status.
SELECT type, status, count(*) AS jobs
FROM jobs
WHERE created_at >= $1 AND created_at < $2
GROUP BY type, status
ORDER BY type, status;

-- name: report_failures
-- Jobs created in [$1, $2] that failed, newest first (at most $3).
SELECT id, type, attempts, error, updated_at AS failed_at
FROM jobs
WHERE status = 'failed' AND created_at >= $1 AND created_at < $2
ORDER BY updated_at DESC
LIMIT $3;

-- name: report_throughput
-- Jobs completed and failed per day in [$1, $2], from the minute rollup.
SELECT date_trunc('day', minute) AS day, sum(completed)::bigint AS completed,
       sum(failed)::bigint AS failed
FROM job_throughput_deltas
WHERE minute >= $1 AND minute < $2
GROUP BY 1
ORDER BY 1;

-- name: database_ping
-- Is the database there?
SELECT 1;
