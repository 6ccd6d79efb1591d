-- Every statement the worker service runs. Each block starts with `-- name: <name>` and a
-- one-line description; store.py loads them once (jobdeck_db.queries.load_queries) and the
-- stores (store.py, callbacks/store.py, alerts/store.py) are the only code that runs them.
-- Names are noun first, so a table's statements sort together.
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
-- Only types with no control set: paused and limited types are left to job_claim_limited.
--
-- Why two paths (issue #11, measured with `make bench-worker --controls …`): most types have
-- no limit, and for them this statement stays what it was plus one filter on job_types, read
-- in the same statement (so a pause or a new limit holds from the next claim, in every worker
-- service). job_types is tiny: the filter is an InitPlan evaluated once, and the scan keeps
-- jobs_claim_idx (see the comment at the filter). A limited type's claim must count what is processing and serialise
-- with every other claim of that type, which unlimited types must not pay for.
WITH claimable AS (
    SELECT id
    FROM jobs
    -- A literal, so the plan keeps the partial index jobs_claim_idx (see the top of the file).
    WHERE status = 'pending'
      AND (scheduled_for IS NULL OR scheduled_for <= now())
      AND ($3::text[] IS NULL OR type = ANY($3::text[]))
      -- The types left out, computed once (an InitPlan). Written so that the planner expects
      -- the filter to keep most rows, as it does: `type IN (…)` becomes a semi-join and
      -- `type <> ALL (…)` is estimated from type's few distinct values against a guessed 10
      -- array elements; either way it expects ~1 % to pass and, for a batch, reads and sorts
      -- every pending job instead of walking jobs_claim_idx (EXPLAIN ANALYZE, 50 jobs of
      -- 5,000 pending: 5.4 ms against 1.6). `type || ''` has no statistics, so each element
      -- counts as 0.5 % of rows.
      AND (type || '') <> ALL (ARRAY(
          SELECT name FROM job_types WHERE paused OR limited
      ))
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
SELECT claimed.*,
       extract(epoch FROM claimed.claimed_at
                     - coalesce(claimed.scheduled_for, claimed.created_at))::float8 AS waited_seconds,
       job_types.timeout_seconds
FROM claimed JOIN job_types ON job_types.name = claimed.type
ORDER BY claimed.priority DESC, claimed.created_at, claimed.id;

-- name: job_claim_of_types
-- job_claim for a list of types $3 when some types are paused or limited (whose jobs may fill
-- the head of jobs_claim_idx: walking past a paused type's backlog on every claim would cost
-- a scan of it). Each type's most urgent jobs are read from jobs_claim_by_type_idx, at most
-- $2 per type, and the most urgent $2 of those are claimed; a type paused or limited since
-- the caller's list was made is left out here too.
WITH claimable AS (
    SELECT candidate.id
    FROM unnest($3::text[]) AS wanted (type)
    CROSS JOIN LATERAL (
        SELECT id, priority, created_at
        FROM jobs
        WHERE status = 'pending'
          AND jobs.type = wanted.type
          AND (scheduled_for IS NULL OR scheduled_for <= now())
        ORDER BY priority DESC, created_at, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
    ) AS candidate
    WHERE wanted.type NOT IN (
        SELECT name FROM job_types WHERE paused OR limited
    )
    ORDER BY candidate.priority DESC, candidate.created_at, candidate.id
    LIMIT $2
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
SELECT claimed.*,
       extract(epoch FROM claimed.claimed_at
                     - coalesce(claimed.scheduled_for, claimed.created_at))::float8 AS waited_seconds,
       job_types.timeout_seconds
FROM claimed JOIN job_types ON job_types.name = claimed.type
ORDER BY claimed.priority DESC, claimed.created_at, claimed.id;

-- name: job_type_lock
-- Serialise the claims of limited type $1 across every worker service, until the transaction
-- ends. Run as a statement of its own before job_claim_limited: under READ COMMITTED that
-- statement's snapshot is then taken after the lock, so it sees every earlier holder's claims.
--
-- Why an advisory lock per type: the limits count rows of `jobs` (processing, per type and
-- key), and two claims counting at once would both see room for the last slot. A lock per
-- type makes the count and the claim one step; nothing is kept in a counter that could drift
-- from `jobs` (a slot frees exactly when its job leaves `processing`, whoever moves it), and
-- unlimited types never take it. Claims of one limited type are one at a time across all
-- services: --controls loose/keys in the bench measure what that costs. The lock is the
-- function of migration 0009, which PATCH /job-types takes too.
SELECT job_type_claim_lock($1);

-- name: job_claim_limited
-- Claim up to $2 jobs of limited type $3 for runner $1 (lease $4 seconds), within its
-- controls, re-read here: none while paused; no more than `concurrency` processing; per
-- concurrency_key no more than `key_concurrency`; one free rate slot taken per job (a slot is
-- free once unused for `rate_limit_seconds`, and a type has `rate_limit_jobs` of them, kept so
-- by PATCH /job-types in the producer API, so no window of that length holds more claims).
-- Hold job_type_lock($3) first.
--
-- The slots are a ring (migration 0009): claims of a type take them in turn from its cursor,
-- so the next slots from the cursor are the least recently used, and the claim reads just
-- those by primary key. It takes the leading run of free ones and moves the cursor past them;
-- a type whose ring is missing (a rate limit set without PATCH) gets no room.
--
-- Times are clock_timestamp(), read once: the transaction may have begun before it waited for
-- the lock, and the events ledger and the rate slots must order claims as they truly happened.
-- Candidates are read in claim order from jobs_claim_by_type_idx, skipping keys already full,
-- and only a prefix (4 per job wanted) is ranked per key: a claim never scans a long backlog,
-- and gets at least one job whenever one is claimable, if not always all it asked for.
WITH controls AS MATERIALIZED (
    SELECT concurrency, key_concurrency, rate_limit_jobs, rate_limit_seconds, timeout_seconds,
           clock_timestamp() AS at
    FROM job_types
    WHERE name = $3 AND NOT paused
), ring AS MATERIALIZED (
    -- The next slots in the ring, k = 0 first, as many as this claim could take.
    -- Each slot looked up by primary key (the LIMIT keeps the planner from turning the
    -- lookups into a join that reads every slot of the type).
    SELECT k, slots.slot,
           slots.used_at <= c.at - make_interval(secs => c.rate_limit_seconds) AS free
    FROM controls AS c
    JOIN job_type_rate_cursors AS cursor ON cursor.type = $3
    CROSS JOIN generate_series(0, least($2::integer, c.rate_limit_jobs) - 1) AS k
    CROSS JOIN LATERAL (
        SELECT slot, used_at FROM job_type_rate_slots
        WHERE type = $3 AND slot = (cursor.next_slot + k) % c.rate_limit_jobs
        LIMIT 1
    ) AS slots
    WHERE c.rate_limit_jobs IS NOT NULL
), key_load AS MATERIALIZED (
    SELECT concurrency_key, count(*) AS processing
    FROM jobs
    WHERE status = 'processing' AND type = $3 AND concurrency_key IS NOT NULL
      AND (SELECT key_concurrency FROM controls) IS NOT NULL
    GROUP BY concurrency_key
), room AS MATERIALIZED (
    -- No row in controls (paused, or gone) is no room.
    SELECT coalesce((
        SELECT greatest(0, least(
            $2::integer,
            CASE WHEN c.concurrency IS NOT NULL THEN c.concurrency - (
                SELECT count(*) FROM jobs WHERE status = 'processing' AND type = $3
            ) END,
            CASE WHEN c.rate_limit_jobs IS NOT NULL THEN (
                -- The leading run of free slots (all of them, when every one read is free).
                SELECT coalesce(min(k) FILTER (WHERE NOT free), count(*)) FROM ring
            ) END
        ))
        FROM controls AS c
    ), 0) AS jobs
), candidates AS (
    SELECT id, concurrency_key, priority, created_at
    FROM jobs
    WHERE status = 'pending'
      AND type = $3
      AND (scheduled_for IS NULL OR scheduled_for <= now())
      AND (concurrency_key IS NULL OR concurrency_key NOT IN (
          SELECT concurrency_key FROM key_load
          WHERE processing >= (SELECT key_concurrency FROM controls)
      ))
    ORDER BY priority DESC, created_at, id
    LIMIT (SELECT CASE WHEN (SELECT key_concurrency FROM controls) IS NULL THEN jobs
                       ELSE jobs * 4 END FROM room)
), chosen AS (
    SELECT ranked.id
    FROM (
        SELECT candidates.*,
               row_number() OVER (PARTITION BY concurrency_key
                                  ORDER BY priority DESC, created_at, id) AS nth
        FROM candidates
    ) AS ranked
    LEFT JOIN key_load USING (concurrency_key)
    WHERE ranked.concurrency_key IS NULL
       OR (SELECT key_concurrency FROM controls) IS NULL
       OR ranked.nth <= (SELECT key_concurrency FROM controls) - coalesce(key_load.processing, 0)
    ORDER BY ranked.priority DESC, ranked.created_at, ranked.id
    LIMIT (SELECT jobs FROM room)
), locked AS (
    -- Re-checked on the row's newest version: a job cancelled meanwhile is not claimed.
    SELECT id FROM jobs
    WHERE id = ANY (ARRAY(SELECT id FROM chosen)) AND status = 'pending'
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE jobs
    SET status = 'processing',
        attempts = jobs.attempts + 1,
        locked_by = $1,
        locked_until = controls.at + make_interval(secs => $4),
        claimed_at = controls.at,
        updated_at = controls.at
    FROM controls
    WHERE jobs.id = ANY (ARRAY(SELECT id FROM locked))
    RETURNING jobs.*, controls.timeout_seconds
), slots_taken AS (
    -- One slot per job claimed, from the leading free run the room was counted from.
    UPDATE job_type_rate_slots
    SET used_at = (SELECT at FROM controls)
    WHERE type = $3
      AND slot = ANY (ARRAY(SELECT slot FROM ring WHERE k < (SELECT count(*) FROM claimed)))
), cursor_moved AS (
    UPDATE job_type_rate_cursors
    SET next_slot = (next_slot + (SELECT count(*) FROM claimed))
                    % (SELECT rate_limit_jobs FROM controls)
    WHERE type = $3 AND (SELECT count(*) FROM claimed) > 0
      AND (SELECT rate_limit_jobs FROM controls) IS NOT NULL
), logged AS (
    INSERT INTO job_events (job_id, kind, attempt, worker_id, at)
    SELECT id, 'claimed', attempts, locked_by, claimed_at FROM claimed
)
SELECT *, extract(epoch FROM claimed_at - coalesce(scheduled_for, created_at))::float8 AS waited_seconds
FROM claimed
ORDER BY priority DESC, created_at, id;

-- name: job_type_list_controls
-- Every type, whether it is paused, and whether it has a limit: which claim statements a
-- claim needs (limited_types.py).
SELECT name, paused, limited
FROM job_types
ORDER BY name;

-- name: job_type_next_rate_slot
-- How long until a rate slot frees for a type among $1 (or any) that has claimable jobs and
-- no free slot now: a long-poll waits that long at most.
SELECT min(free_at) - clock_timestamp() AS wait
FROM (
    -- The slot at the ring's cursor is the least recently used: the next to free.
    SELECT (
        SELECT slots.used_at
        FROM job_type_rate_cursors AS cursor
        JOIN job_type_rate_slots AS slots
            ON slots.type = cursor.type AND slots.slot = cursor.next_slot
        WHERE cursor.type = t.name
    ) + make_interval(secs => t.rate_limit_seconds) AS free_at
    FROM job_types AS t
    WHERE t.rate_limit_jobs IS NOT NULL AND NOT t.paused
      AND ($1::text[] IS NULL OR t.name = ANY($1::text[]))
      AND EXISTS (
          SELECT 1 FROM jobs
          WHERE status = 'pending' AND type = t.name
            AND (scheduled_for IS NULL OR scheduled_for <= now())
      )
) AS rate_bound
WHERE free_at > clock_timestamp();

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
), freed AS (
    -- A job of a concurrency-limited type left `processing`: its slot is free, so wake the
    -- long-polls (jobs of other types need no NOTIFY here, and pay only this lookup).
    SELECT pg_notify('jobdeck_jobs_pending', '')
    FROM job_types
    WHERE name IN (SELECT type FROM completed)
      AND holds_slots
    LIMIT 1
)
-- The one-row count makes `freed` run (a SELECT in WITH runs only when read).
SELECT completed.* FROM completed, (SELECT count(*) FROM freed) AS woken;

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
), freed AS (
    -- A job of a concurrency-limited type left `processing`: its slot is free, so wake the
    -- long-polls (jobs of other types need no NOTIFY here, and pay only this lookup).
    SELECT pg_notify('jobdeck_jobs_pending', '')
    FROM job_types
    WHERE name IN (SELECT type FROM failed)
      AND holds_slots
    LIMIT 1
)
SELECT failed.* FROM failed, (SELECT count(*) FROM freed) AS woken;

-- name: job_replayed_outcomes
-- Of the reports ($1 ids, $2 attempts or NULL) that matched no job they could still change,
-- those already recorded as one of $4 (event kinds) for the same attempt and runner ($3, or
-- whoever held it when NULL): a report sent again after its answer was lost. Read only after
-- such a miss, so the hot path never pays for it; a report naming neither attempt nor runner
-- cannot be told from someone else's and is never a replay.
SELECT jobs.*, NULL::float8 AS ran_seconds
FROM unnest($1::uuid[], $2::integer[]) AS report (id, attempt)
JOIN jobs ON jobs.id = report.id
WHERE (report.attempt IS NOT NULL OR $3::text IS NOT NULL)
  AND EXISTS (
      SELECT FROM job_events AS e
      WHERE e.job_id = report.id
        AND e.kind = ANY($4::text[])
        AND e.attempt = coalesce(report.attempt, jobs.attempts)
        AND ($3::text IS NULL OR e.worker_id = $3)
  );

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
    RETURNING jobs.id, jobs.status, jobs.attempts, jobs.type, expired.locked_by
), logged AS (
    INSERT INTO job_events (job_id, kind, attempt, worker_id, detail)
    SELECT id, 'rescued', attempts, locked_by,
           CASE status
               WHEN 'pending' THEN format('lease of %s expired; back to pending', locked_by)
               ELSE format('lease of %s expired; no attempts left, failed', locked_by)
           END
    FROM rescued
), freed AS (
    -- A job of a concurrency-limited type left `processing`: its slot is free, so wake the
    -- long-polls (jobs of other types need no NOTIFY here, and pay only this lookup).
    SELECT pg_notify('jobdeck_jobs_pending', '')
    FROM job_types
    WHERE name IN (SELECT type FROM rescued)
      AND holds_slots
    LIMIT 1
)
SELECT id, status FROM rescued, (SELECT count(*) FROM freed) AS woken;

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

-- name: callback_claim
-- Take up to $1 callback deliveries whose next try is due, leasing each for $2 seconds: its
-- next_try_at moves past the try (SKIP LOCKED: another deliverer takes others, and a taken
-- one is not due for them until the lease runs out). The caller commits at once, sends
-- holding no lock, and records the tries (callback_record_tries); a deliverer that dies
-- in between leaves its deliveries to be tried again when their lease ends, so only the
-- tries in flight are repeated. The job's fields come along for a first try's message.
WITH due AS (
    SELECT id
    FROM callback_deliveries
    WHERE state = 'pending' AND next_try_at <= now()
    ORDER BY next_try_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE callback_deliveries AS d
    SET next_try_at = now() + make_interval(secs => $2::float8)
    FROM due
    WHERE d.id = due.id
    RETURNING d.id, d.job_id, d.event, d.url, d.tries, d.body, d.created_at
)
SELECT leased.id AS delivery_id, leased.event, leased.url, leased.tries, leased.body,
       leased.created_at AS queued_at, j.*
FROM leased
JOIN jobs AS j ON j.id = leased.job_id;

-- name: callback_record_tries
-- Record one try of each delivery ($1 ids): its new state $2 (pending again after $3 seconds,
-- or delivered, or failed for good), the body sent $4 (kept from the first try), and what the
-- try saw ($5 duration in ms, $6 HTTP status, $7 error, $8 excerpt of the answer). A delivery
-- that ended logs $9 (the event kind) with detail $10 on its job's timeline. A delivery gone
-- meanwhile (its job deleted) or already ended (a try repeated after its lease ran out) is
-- left as it is.
WITH tried AS (
    SELECT *
    FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[], $5::float8[], $6::integer[],
                $7::text[], $8::text[], $9::text[], $10::text[])
         AS t (delivery_id, state, retry_in, body, duration_ms, status_code, error, excerpt,
               kind, detail)
), updated AS (
    UPDATE callback_deliveries AS d
    SET state = tried.state,
        tries = d.tries + 1,
        body = coalesce(d.body, tried.body),
        next_try_at = now() + make_interval(secs => coalesce(tried.retry_in, 0)),
        finished_at = CASE WHEN tried.kind IS NOT NULL THEN now() END
    FROM tried
    WHERE d.id = tried.delivery_id AND d.state = 'pending'
    RETURNING d.id, d.job_id, tried.kind, tried.detail
), recorded AS (
    INSERT INTO callback_attempts (delivery_id, duration_ms, status_code, error, response_excerpt)
    SELECT tried.delivery_id, tried.duration_ms, tried.status_code, tried.error, tried.excerpt
    FROM tried JOIN updated ON updated.id = tried.delivery_id
)
INSERT INTO job_events (job_id, kind, attempt, detail)
SELECT updated.job_id, updated.kind, jobs.attempts, updated.detail
FROM updated JOIN jobs ON jobs.id = updated.job_id
WHERE updated.kind IS NOT NULL;

-- name: alert_lock
-- Whether this transaction may evaluate the alert rules: one worker service at a time, the
-- others skip the pass (their next one sees what this one recorded).
SELECT pg_try_advisory_xact_lock(hashtext('jobdeck_alerts'));

-- name: alert_jobs_failed
-- Per type, the jobs failed for good since its last `jobs_failed` alert covered (or within
-- the last $2 on the first), for types not alerted about within $1.
WITH last AS (
    SELECT subject, max(created_at) AS created_at, max(covers_until) AS covers_until
    FROM alerts WHERE rule = 'jobs_failed'
    GROUP BY subject
)
SELECT jobs.type, count(*) AS failed,
       (array_agg(jobs.error ORDER BY jobs.updated_at DESC))[1] AS last_error
FROM jobs
LEFT JOIN last ON last.subject = jobs.type
WHERE jobs.status = 'failed'
  AND jobs.updated_at > coalesce(last.covers_until, now() - $2::interval)
  AND jobs.updated_at <= now()
  AND (last.created_at IS NULL OR last.created_at <= now() - $1::interval)
GROUP BY jobs.type
ORDER BY jobs.type;

-- name: alert_failure_rates
-- Per type, jobs finished within $2 and how many failed, where at least $3 finished and
-- more than $4 of them failed, for types not alerted about for this within $1.
SELECT type, count(*) AS finished, count(*) FILTER (WHERE status = 'failed') AS failed
FROM jobs
WHERE updated_at > now() - $2::interval
  AND status IN ('completed', 'failed')
  AND type NOT IN (
      SELECT subject FROM alerts
      WHERE rule = 'failure_rate' AND created_at > now() - $1::interval
  )
GROUP BY type
HAVING count(*) >= $3
   AND count(*) FILTER (WHERE status = 'failed') > $4::float8 * count(*)
ORDER BY type;

-- name: alert_runners_down
-- Runners silent for longer than $1 that still hold jobs, not alerted about since they were
-- last heard from (one alert per outage).
SELECT w.worker_id, w.last_heartbeat_at, count(jobs.id) AS holding
FROM workers AS w
JOIN jobs ON jobs.status = 'processing' AND jobs.locked_by = w.worker_id
WHERE w.last_heartbeat_at < now() - $1::interval
  AND w.stopped_at IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM alerts
      WHERE rule = 'runner_down' AND subject = w.worker_id
        AND created_at > w.last_heartbeat_at
  )
GROUP BY w.worker_id, w.last_heartbeat_at
ORDER BY w.worker_id;

-- name: alert_insert
-- Record alerts ($1 rules, $2 subjects, $3 texts), each to be sent, or not ($4 why not).
INSERT INTO alerts (rule, subject, text, error)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]);

-- name: alert_unsent
-- Up to $1 alerts recorded but not sent yet (nor given up on), oldest first, locked for the
-- sender's transaction.
SELECT id, text
FROM alerts
WHERE sent_at IS NULL AND error IS NULL
ORDER BY id
LIMIT $1
FOR UPDATE SKIP LOCKED;

-- name: alert_mark_sent
-- Alert $1 was sent ($2 NULL), or could not be ($2 says why).
UPDATE alerts
SET sent_at = CASE WHEN $2::text IS NULL THEN now() END, error = $2
WHERE id = $1;

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

-- name: schedule_due_lock
-- Up to $2 enabled schedules due at $1 (the scheduler's clock), soonest first, each locked
-- until the transaction ends. Another worker service's scheduler skips a locked one instead
-- of waiting for it, and one that reaches it after the commit finds it no longer due: each
-- fire time is taken once.
SELECT name, cron, timezone, next_run_at
FROM schedules
WHERE enabled AND next_run_at <= $1
ORDER BY next_run_at
LIMIT $2
FOR UPDATE SKIP LOCKED;

-- name: schedule_job_fire_many
-- Make the jobs of schedules $1 for fire times $2, each with `created` detail $3 ($4:
-- max_attempts when neither the template nor the type says); answer each job made with its
-- schedule. A schedule gets none if that time already has its job (the unique key on
-- schedule and fire time) or its job's type was deleted.
SELECT due.name AS schedule, job.id
FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS due (name, fire_at, detail)
CROSS JOIN LATERAL schedule_job_insert(due.name, due.fire_at, due.detail, $4) AS job;

-- name: schedule_advance_many
-- Schedules $1 are next due at $2.
UPDATE schedules SET next_run_at = next.run_at
FROM unnest($1::text[], $2::timestamptz[]) AS next (name, run_at)
WHERE schedules.name = next.name;
