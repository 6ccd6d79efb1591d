"""Analytics without scanning jobs: per-minute rollups of timings, and error groups.

GET /analytics answers per type and window with outcomes, run-time and wait-time
percentiles, error groups and a weekday × hour heatmap. Computing those from `jobs` and
`job_events` would read every row of the window on each request (seconds at a million
jobs), so, like the count rollups of 0001, statement-level triggers append what each
statement changed to small tables, and a compaction folds them.

- `job_analytics_deltas`: jobs per (period, type, measure, bin): `created`, and for
  `waited` / `completed` / `failed` the bin of a histogram of the wait (ready → claimed) or
  run (claimed → finished) time. Bins grow by 10 %, so a percentile read from a bin's
  geometric middle is within 5 % of the true value (0.5 ms below 1 ms).
- `job_error_deltas`: failed attempts per (period, type, error group), with when the group
  was first and last seen and its latest message and job.

Trigger rows are per minute; job_analytics_compact() folds them (`folded`), and old minutes
into hours and 6 hours (the buckets the 24h and 7d windows read), so a window sums tens of
thousands of rows at most, however many jobs ran.

A failure's group is the md5 of its message with numbers, UUIDs, hex ids, IP and e-mail
addresses and quoted strings masked: job_error_fingerprint() is the one place that masks,
and a row trigger stores the group on the job whenever its error changes, so the worker's
statements stay as they are and `GET /jobs?error_group=` reads an index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_error_groups()
    _create_rollups()
    _create_compaction()


def _create_error_groups() -> None:
    # Masked in this order: a quoted string or an address may hold digits and hex.
    op.execute(r"""
        CREATE FUNCTION job_error_fingerprint(message text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                   regexp_replace(regexp_replace(regexp_replace(
                left(message, 1000),
                '"[^"]*"|''[^'']*''', '<str>', 'g'),
                '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '<email>', 'g'),
                '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
                '<uuid>', 'g'),
                '\m(\d{1,3}\.){3}\d{1,3}(:\d+)?\M|\m([0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\M',
                '<ip>', 'g'),
                '\m0x[0-9a-fA-F]+\M|\m(?=[a-fA-F]*[0-9])(?=[0-9]*[a-fA-F])[0-9a-fA-F]{8,}\M',
                '<hex>', 'g'),
                '\d+(\.\d+)?', '<n>', 'g'),
                '\s+', ' ', 'g')
        $$
    """)
    op.execute("""
        CREATE FUNCTION job_error_group(message text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT left(md5(job_error_fingerprint(message)), 16)
        $$
    """)
    # Adding a nullable column rewrites nothing; existing failures are grouped below.
    op.execute("ALTER TABLE jobs ADD COLUMN error_group text")
    op.execute("""
        CREATE FUNCTION jobs_set_error_group() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.error_group := job_error_group(NEW.error);
            RETURN NEW;
        END
        $$
    """)
    # The WHEN clauses are checked without calling the function: claims, heartbeats and
    # completions, which leave `error` alone, pay nothing.
    op.execute("""
        CREATE TRIGGER jobs_error_group_inserts BEFORE INSERT ON jobs
        FOR EACH ROW WHEN (NEW.error IS NOT NULL)
        EXECUTE FUNCTION jobs_set_error_group()
    """)
    op.execute("""
        CREATE TRIGGER jobs_error_group_updates BEFORE UPDATE OF error ON jobs
        FOR EACH ROW WHEN (NEW.error IS DISTINCT FROM OLD.error)
        EXECUTE FUNCTION jobs_set_error_group()
    """)
    op.execute("UPDATE jobs SET error_group = job_error_group(error) WHERE error IS NOT NULL")
    op.execute("""
        CREATE INDEX jobs_error_group_idx ON jobs (error_group, created_at, id)
        WHERE error_group IS NOT NULL
    """)


def _create_rollups() -> None:
    # Not STRICT, so that PostgreSQL inlines them (NULL gives NULL all the same): called,
    # each cost ~40 µs a row in the trigger, 2.4 ms of a 50-job claim.
    op.execute("""
        CREATE FUNCTION job_duration_bin(seconds float8) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN seconds < 0.001 THEN 0
                        ELSE floor(ln(seconds * 1000) / ln(float8 '1.1'))::integer + 1 END
        $$
    """)
    # A bin's geometric middle: bin k ≥ 1 holds [1.1^(k-1), 1.1^k) milliseconds. In float8:
    # numeric's power() costs ~30 µs a call.
    op.execute("""
        CREATE FUNCTION job_duration_bin_seconds(bin integer) RETURNS float8
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN bin = 0 THEN 0.0005
                        ELSE power(float8 '1.1', bin - float8 '0.5') / 1000 END
        $$
    """)
    op.execute("""
        CREATE TABLE job_analytics_deltas (
            period timestamptz NOT NULL,
            type text NOT NULL,
            measure text NOT NULL CONSTRAINT job_analytics_deltas_measure_check
                CHECK (measure IN ('created', 'waited', 'completed', 'failed')),
            bin integer,
            jobs bigint NOT NULL,
            folded boolean NOT NULL DEFAULT false
        )
    """)
    op.execute("""
        CREATE UNIQUE INDEX job_analytics_deltas_folded_key
        ON job_analytics_deltas (period, type, measure, bin) NULLS NOT DISTINCT WHERE folded
    """)
    op.execute("""
        CREATE TABLE job_error_deltas (
            period timestamptz NOT NULL,
            type text NOT NULL,
            error_group text NOT NULL,
            failures bigint NOT NULL,
            first_at timestamptz NOT NULL,
            last_at timestamptz NOT NULL,
            sample text NOT NULL,
            sample_job uuid NOT NULL,
            folded boolean NOT NULL DEFAULT false
        )
    """)
    op.execute("""
        CREATE UNIQUE INDEX job_error_deltas_folded_key
        ON job_error_deltas (period, type, error_group) WHERE folded
    """)
    op.execute("""
        CREATE FUNCTION job_error_deltas_record(failures jobs[]) RETURNS void
        LANGUAGE sql AS $$
            INSERT INTO job_error_deltas
                (period, type, error_group, failures, first_at, last_at, sample, sample_job)
            SELECT date_trunc('minute', f.updated_at), f.type, f.error_group, count(*),
                   min(f.updated_at), max(f.updated_at),
                   (array_agg(left(f.error, 1000) ORDER BY f.updated_at DESC))[1],
                   (array_agg(f.id ORDER BY f.updated_at DESC))[1]
            FROM unnest(failures) AS f
            GROUP BY 1, 2, 3
        $$
    """)
    # Ready is the later of when the job became pending (its creation, a retry or a failed
    # attempt's back-off) and scheduled_for; finished is completed_at, or the failure's time.
    # Times come from the rows, not now(), so imported history lands where it happened.
    op.execute("""
        CREATE FUNCTION jobs_record_analytics() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            failures jobs[];
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO job_analytics_deltas (period, type, measure, bin, jobs)
                SELECT date_trunc('minute', m.at), n.type, m.measure, m.bin, count(*)
                FROM new_rows AS n
                CROSS JOIN LATERAL (VALUES
                    ('created', n.created_at, NULL::integer, true),
                    ('waited', n.claimed_at, job_duration_bin(extract(epoch FROM
                        n.claimed_at - greatest(n.created_at, n.scheduled_for))::float8),
                     n.claimed_at IS NOT NULL),
                    (n.status, coalesce(n.completed_at, n.updated_at),
                     job_duration_bin(extract(epoch FROM
                        coalesce(n.completed_at, n.updated_at) - n.claimed_at)::float8),
                     n.status IN ('completed', 'failed'))
                ) AS m (measure, at, bin, applies)
                WHERE m.applies
                GROUP BY 1, 2, 3, 4;
                failures := ARRAY(
                    SELECT n FROM new_rows AS n
                    WHERE n.status = 'failed' AND n.error_group IS NOT NULL
                );
            ELSE
                INSERT INTO job_analytics_deltas (period, type, measure, bin, jobs)
                SELECT date_trunc('minute', m.at), n.type, m.measure, m.bin, count(*)
                FROM new_rows AS n JOIN old_rows AS o USING (id)
                CROSS JOIN LATERAL (VALUES
                    ('waited', n.claimed_at, job_duration_bin(extract(epoch FROM n.claimed_at
                        - greatest(o.created_at, o.updated_at, o.scheduled_for))::float8),
                     o.status <> 'processing' AND n.status = 'processing'
                     AND n.claimed_at IS NOT NULL),
                    (n.status, coalesce(n.completed_at, n.updated_at),
                     job_duration_bin(extract(epoch FROM
                        coalesce(n.completed_at, n.updated_at) - n.claimed_at)::float8),
                     o.status = 'processing' AND n.status IN ('completed', 'failed'))
                ) AS m (measure, at, bin, applies)
                WHERE m.applies
                GROUP BY 1, 2, 3, 4;
                -- Every failed attempt counts, retried or not (and leases that expired). Claims,
                -- heartbeats and completions leave no row with an error that could be one: they
                -- skip the join (0.2 ms of a 50-job completion).
                IF EXISTS (SELECT FROM new_rows AS n
                           WHERE n.status IN ('pending', 'failed') AND n.error_group IS NOT NULL)
                THEN
                    failures := ARRAY(
                        SELECT n FROM new_rows AS n JOIN old_rows AS o USING (id)
                        WHERE o.status = 'processing' AND n.status IN ('pending', 'failed')
                          AND n.error_group IS NOT NULL
                    );
                END IF;
            END IF;
            IF cardinality(failures) > 0 THEN
                PERFORM job_error_deltas_record(failures);
            END IF;
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER jobs_analytics_inserts AFTER INSERT ON jobs
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_record_analytics()
    """)
    op.execute("""
        CREATE TRIGGER jobs_analytics_updates AFTER UPDATE ON jobs
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_record_analytics()
    """)
    # History already there: created jobs, and failures still on record, by their own times.
    op.execute("""
        INSERT INTO job_analytics_deltas (period, type, measure, bin, jobs)
        SELECT date_trunc('minute', created_at), type, 'created', NULL, count(*)
        FROM jobs GROUP BY 1, 2
    """)


def _create_compaction() -> None:
    """Fold the trigger rows into one row per key, and old periods into longer ones.

    A period stays a minute for the last hour or two (the 1h window's buckets), an hour for
    the last 30 (the 24h window's), then becomes the 6 hours the 7d window buckets by; jobs
    created stay hourly (the weekday × hour heatmap), and everything goes after 8 days: nothing
    reads further back than the 7d window.

    One statement per table: it deletes the fresh rows and the folded ones whose period has
    aged into a longer one, and upserts their sums; the rows it upserts into already have
    their final period, so they are never among those it deletes. Rows written meanwhile
    are not seen by it and wait for the next pass; a concurrent pass skips nothing and counts
    nothing twice (deleted rows are locked, upserts add up). Only the last two days are
    looked at for aged rows: a pass that did not run for longer leaves more rows, not
    wrong ones.
    """
    op.execute("""
        CREATE FUNCTION job_analytics_period(at timestamptz, hourly boolean) RETURNS timestamptz
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT CASE
                WHEN NOT hourly AND at < date_bin('6 hours', now(), TIMESTAMPTZ '2000-01-01')
                                         - interval '30 hours'
                    THEN date_bin('6 hours', at, TIMESTAMPTZ '2000-01-01')
                WHEN at < date_bin('1 hour', now(), TIMESTAMPTZ '2000-01-01') - interval '1 hour'
                    THEN date_bin('1 hour', at, TIMESTAMPTZ '2000-01-01')
                ELSE at
            END
        $$
    """)
    op.execute("""
        CREATE FUNCTION job_analytics_compact(
            OUT analytics_rows_removed bigint, OUT error_rows_removed bigint
        ) LANGUAGE sql AS $$
            WITH analytics_rows AS (
                DELETE FROM job_analytics_deltas AS d
                WHERE NOT d.folded
                   OR d.period < now() - interval '8 days'
                   OR (d.period >= now() - interval '2 days'
                       AND d.period <> job_analytics_period(d.period, d.measure = 'created'))
                RETURNING d.period, d.type, d.measure, d.bin, d.jobs
            ), analytics_rows_kept AS (
                INSERT INTO job_analytics_deltas AS d (period, type, measure, bin, jobs, folded)
                SELECT job_analytics_period(r.period, r.measure = 'created'),
                       r.type, r.measure, r.bin, sum(r.jobs), true
                FROM analytics_rows AS r
                WHERE r.period >= now() - interval '8 days'
                GROUP BY 1, 2, 3, 4
                ON CONFLICT (period, type, measure, bin) WHERE folded
                DO UPDATE SET jobs = d.jobs + excluded.jobs
                RETURNING 1
            ), error_rows AS (
                DELETE FROM job_error_deltas AS d
                WHERE NOT d.folded
                   OR d.period < now() - interval '8 days'
                   OR (d.period >= now() - interval '2 days'
                       AND d.period <> job_analytics_period(d.period, false))
                RETURNING d.*
            ), error_rows_kept AS (
                INSERT INTO job_error_deltas AS d
                    (period, type, error_group, failures, first_at, last_at, sample,
                     sample_job, folded)
                SELECT job_analytics_period(r.period, false),
                       r.type, r.error_group, sum(r.failures), min(r.first_at), max(r.last_at),
                       (array_agg(r.sample ORDER BY r.last_at DESC))[1],
                       (array_agg(r.sample_job ORDER BY r.last_at DESC))[1], true
                FROM error_rows AS r
                WHERE r.period >= now() - interval '8 days'
                GROUP BY 1, 2, 3
                ON CONFLICT (period, type, error_group) WHERE folded
                DO UPDATE SET failures = d.failures + excluded.failures,
                              first_at = least(d.first_at, excluded.first_at),
                              last_at = greatest(d.last_at, excluded.last_at),
                              sample = CASE WHEN excluded.last_at >= d.last_at
                                            THEN excluded.sample ELSE d.sample END,
                              sample_job = CASE WHEN excluded.last_at >= d.last_at
                                                THEN excluded.sample_job ELSE d.sample_job END
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM analytics_rows)
                       - (SELECT count(*) FROM analytics_rows_kept),
                   (SELECT count(*) FROM error_rows) - (SELECT count(*) FROM error_rows_kept)
        $$
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION job_analytics_compact()")
    op.execute("DROP FUNCTION job_analytics_period(timestamptz, boolean)")
    op.execute("DROP TRIGGER jobs_analytics_updates ON jobs")
    op.execute("DROP TRIGGER jobs_analytics_inserts ON jobs")
    op.execute("DROP FUNCTION jobs_record_analytics()")
    op.execute("DROP FUNCTION job_error_deltas_record(jobs[])")
    op.execute("DROP TABLE job_error_deltas")
    op.execute("DROP TABLE job_analytics_deltas")
    op.execute("DROP FUNCTION job_duration_bin_seconds(integer)")
    op.execute("DROP FUNCTION job_duration_bin(float8)")
    op.execute("DROP TRIGGER jobs_error_group_updates ON jobs")
    op.execute("DROP TRIGGER jobs_error_group_inserts ON jobs")
    op.execute("DROP FUNCTION jobs_set_error_group()")
    op.execute("DROP INDEX jobs_error_group_idx")
    op.execute("ALTER TABLE jobs DROP COLUMN error_group")
    op.execute("DROP FUNCTION job_error_group(text)")
    op.execute("DROP FUNCTION job_error_fingerprint(text)")
