"""Analytics rollups read in a few hundred rows: a histogram per window bucket, folded out.

0013 folded the trigger rows of `job_analytics_deltas` in place, into one row per period,
type, measure and *bin*, with periods that age from minutes to hours to 6 hours.
GET /analytics?window=7d then read ~50,000 rows at 1 M jobs and ranked them twice in SQL (per
bucket and per window), and the folded rows, written after the fresh ones they replace,
kept the table as long as its largest burst of trigger rows (23,000 pages after loading 1 M
jobs) for every request to scan.

Now `job_analytics_deltas` only holds trigger rows until the compactor's next pass, which
moves them out:

- the timings (`waited`, `completed`, `failed`) into `job_analytics_histograms`: one row per
  grain, period, type and measure, whose `jobs` array is the whole histogram (`jobs[k + 1]`
  = jobs in bin k; jobs with no claim time count in `untimed`). Each window's bucket size is
  a grain (1 minute, 1 hour, 6 hours, kept as long as the window reaches back and one bucket
  of the next grain more), so a request reads one row per bucket, type and measure and ranks
  them itself. The bins, and so the ≤ 5 % error, are 0013's;
- creations into `job_created_hours` (jobs per hour and type, 8 days: the heatmap's).

The hot path writes exactly what it wrote before. The compactor passes the grains and how
long to keep each, from the windows the API serves, so the windows have one home. What 0013
had folded becomes fresh rows again here: readers count fresh rows too, so figures stay right
until the compactor's first pass folds them (at the hourly or 6-hour resolution they had,
which is what the windows reaching that far back read).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE job_analytics_histograms (
            grain interval NOT NULL,
            period timestamptz NOT NULL,
            type text NOT NULL,
            measure text NOT NULL CONSTRAINT job_analytics_histograms_measure_check
                CHECK (measure IN ('waited', 'completed', 'failed')),
            untimed bigint NOT NULL,
            jobs bigint[] NOT NULL,
            PRIMARY KEY (grain, period, type, measure)
        )
    """)
    op.execute("""
        CREATE TABLE job_created_hours (
            hour timestamptz NOT NULL,
            type text NOT NULL,
            jobs bigint NOT NULL,
            PRIMARY KEY (hour, type)
        )
    """)
    # A dense histogram from (bin, jobs) pairs: element k + 1 holds bin k.
    op.execute("""
        CREATE FUNCTION job_histogram(bins integer[], jobs bigint[]) RETURNS bigint[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(coalesce(pairs.jobs, 0) ORDER BY slot.bin), '{}')
            FROM generate_series(0, (SELECT max(b) FROM unnest(bins) AS b)) AS slot (bin)
            LEFT JOIN (
                SELECT p.bin, sum(p.jobs)::bigint AS jobs
                FROM unnest(bins, jobs) AS p (bin, jobs)
                GROUP BY p.bin
            ) AS pairs ON pairs.bin = slot.bin
        $$
    """)
    op.execute("""
        CREATE FUNCTION job_histogram_add(a bigint[], b bigint[]) RETURNS bigint[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(coalesce(a[i], 0) + coalesce(b[i], 0) ORDER BY i), '{}')
            FROM generate_series(1, greatest(cardinality(a), cardinality(b))) AS i
        $$
    """)
    op.execute("DROP FUNCTION job_analytics_compact()")
    op.execute(_COMPACT)
    # Nothing is folded in place any more.
    op.execute("DROP INDEX job_analytics_deltas_folded_key")
    op.execute("UPDATE job_analytics_deltas SET folded = false WHERE folded")


# One statement, as 0013's: it takes every trigger row, adds the timings into each grain's
# histograms and the creations into their hours (to any row already there), and drops what
# is older than its grain's span (8 days for creations). A concurrent pass waits on the rows
# this one deletes, then skips them: nothing counts twice. analytics_rows_removed is how many
# fewer rows the three tables hold (negative when a lone fresh row becomes one histogram row
# per grain).
_COMPACT = """
    CREATE FUNCTION job_analytics_compact(
        grains interval[], spans interval[],
        OUT analytics_rows_removed bigint, OUT error_rows_removed bigint
    ) LANGUAGE sql AS $$
        WITH fresh AS (
            DELETE FROM job_analytics_deltas
            RETURNING period, type, measure, bin, jobs
        ), created_kept AS (
            INSERT INTO job_created_hours AS c (hour, type, jobs)
            SELECT date_bin('1 hour', f.period, TIMESTAMPTZ '2000-01-01'), f.type, sum(f.jobs)
            FROM fresh AS f
            WHERE f.measure = 'created'
              AND date_bin('1 hour', f.period, TIMESTAMPTZ '2000-01-01')
                  >= now() - interval '8 days'
            GROUP BY 1, 2
            ON CONFLICT (hour, type) DO UPDATE SET jobs = c.jobs + excluded.jobs
            RETURNING (xmax = 0) AS inserted
        ), created_aged AS (
            DELETE FROM job_created_hours WHERE hour < now() - interval '8 days'
            RETURNING 1
        ), grain AS (
            SELECT g.grain, now() - g.span - g.grain AS kept_since
            FROM unnest(grains, spans) AS g (grain, span)
        ), timed AS (
            SELECT g.grain, date_bin(g.grain, f.period, TIMESTAMPTZ '2000-01-01') AS period,
                   f.type, f.measure, f.bin, sum(f.jobs)::bigint AS jobs
            FROM fresh AS f
            CROSS JOIN grain AS g
            WHERE f.measure <> 'created'
              AND date_bin(g.grain, f.period, TIMESTAMPTZ '2000-01-01') >= g.kept_since
            GROUP BY 1, 2, 3, 4, 5
        ), histograms_kept AS (
            INSERT INTO job_analytics_histograms AS h
                (grain, period, type, measure, untimed, jobs)
            SELECT t.grain, t.period, t.type, t.measure,
                   coalesce(sum(t.jobs) FILTER (WHERE t.bin IS NULL), 0),
                   job_histogram(array_agg(t.bin) FILTER (WHERE t.bin IS NOT NULL),
                                 array_agg(t.jobs) FILTER (WHERE t.bin IS NOT NULL))
            FROM timed AS t
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (grain, period, type, measure)
            DO UPDATE SET untimed = h.untimed + excluded.untimed,
                          jobs = job_histogram_add(h.jobs, excluded.jobs)
            RETURNING (xmax = 0) AS inserted
        ), histograms_aged AS (
            -- A grain no window reads any more goes too.
            DELETE FROM job_analytics_histograms AS h
            WHERE NOT EXISTS (
                SELECT FROM grain AS g WHERE g.grain = h.grain AND h.period >= g.kept_since
            )
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
        SELECT (SELECT count(*) FROM fresh)
                   + (SELECT count(*) FROM created_aged)
                   + (SELECT count(*) FROM histograms_aged)
                   - (SELECT count(*) FROM created_kept WHERE inserted)
                   - (SELECT count(*) FROM histograms_kept WHERE inserted),
               (SELECT count(*) FROM error_rows) - (SELECT count(*) FROM error_rows_kept)
    $$
"""

# 0013's, as it was.
_COMPACT_0013 = """
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
"""


def downgrade() -> None:
    # Back to fresh trigger rows, one per bin, laid out as 0013 folds them: minutes since the
    # previous hour, hours back to 24 hours before the current 6-hour period, 6 hours before
    # that (each grain is kept long enough to cover its stretch whole), and creations per
    # hour; 0013's compactor folds them on its next pass.
    op.execute("""
        WITH edge AS (
            SELECT date_bin('1 hour', now(), TIMESTAMPTZ '2000-01-01') - interval '1 hour'
                       AS hourly_before,
                   date_bin('6 hours', now(), TIMESTAMPTZ '2000-01-01') - interval '24 hours'
                       AS six_hourly_before
        ), kept AS (
            SELECT h.*
            FROM job_analytics_histograms AS h CROSS JOIN edge AS e
            WHERE (h.grain = interval '1 minute' AND h.period >= e.hourly_before)
               OR (h.grain = interval '1 hour'
                   AND h.period >= e.six_hourly_before AND h.period < e.hourly_before)
               OR (h.grain = interval '6 hours' AND h.period < e.six_hourly_before)
        )
        INSERT INTO job_analytics_deltas (period, type, measure, bin, jobs)
        SELECT k.period, k.type, k.measure, slot.bin, slot.jobs
        FROM kept AS k
        CROSS JOIN LATERAL (
            SELECT NULL::integer AS bin, k.untimed AS jobs
            UNION ALL
            SELECT (s.ordinality - 1)::integer, s.jobs
            FROM unnest(k.jobs) WITH ORDINALITY AS s (jobs, ordinality)
        ) AS slot
        WHERE slot.jobs > 0
        UNION ALL
        SELECT hour, type, 'created', NULL, jobs FROM job_created_hours
    """)
    op.execute("""
        CREATE UNIQUE INDEX job_analytics_deltas_folded_key
        ON job_analytics_deltas (period, type, measure, bin) NULLS NOT DISTINCT WHERE folded
    """)
    op.execute("DROP FUNCTION job_analytics_compact(interval[], interval[])")
    op.execute(_COMPACT_0013)
    op.execute("DROP FUNCTION job_histogram_add(bigint[], bigint[])")
    op.execute("DROP FUNCTION job_histogram(integer[], bigint[])")
    op.execute("DROP TABLE job_created_hours")
    op.execute("DROP TABLE job_analytics_histograms")
