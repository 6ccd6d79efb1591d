"""Analytics timings folded into one histogram row per window bucket, type and measure.

0013 folded the timing rows of `job_analytics_deltas` into one row per period, type, measure
and *bin*, with periods that age from minutes to hours to 6 hours. GET /analytics?window=7d
then read ~50,000 rows at 1 M jobs and ranked them twice in SQL (per bucket and per window):
200–300 ms of database CPU a request.

Now the compactor folds the trigger rows of the three timing measures (`waited`,
`completed`, `failed`) into `job_analytics_histograms`: one row per grain, period, type and
measure, whose `jobs` array is the whole histogram (`jobs[k + 1]` = jobs in bin k; jobs with
no claim time count in `untimed`). Each window's bucket size is a grain (1 minute, 1 hour,
6 hours, kept as long as the window they serve), so a request reads one row per bucket, type
and measure — a few hundred — and ranks them itself. The bins, and so the ≤ 5 % error, are
those of 0013. Creations stay in `job_analytics_deltas` (hourly, for the heatmap), and so do
the trigger rows: the hot path writes exactly what it wrote before.

The compactor passes the grains and how long to keep each (from the windows the API serves),
so the windows have one home. Timing rows 0013 had folded become fresh rows again here: the
reader counts fresh rows too, so figures stay right until the compactor's first pass folds
them (at most the 6-hour or hourly resolution they had, which is the resolution the windows
that reach that far back read).

Revision ID: 0016
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
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
    # A dense histogram from (bin, jobs) pairs: element k + 1 holds bin k.
    op.execute("""
        CREATE FUNCTION job_histogram(bins integer[], jobs bigint[]) RETURNS bigint[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(coalesce(pairs.jobs, 0) ORDER BY slot.bin), '{}')
            FROM generate_series(0, (SELECT max(b) FROM unnest(bins) AS b)) AS slot (bin)
            LEFT JOIN (
                SELECT p.bin, sum(p.jobs) AS jobs
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
    op.execute("UPDATE job_analytics_deltas SET folded = false WHERE measure <> 'created'")


# One statement, as 0013's: it deletes the fresh rows and the folded creations that aged,
# writes creations back hourly and timings into each grain's histograms (adding up with any
# row already there), and drops the histograms older than their grain's span. A concurrent
# pass waits on the rows this one deletes, then skips them: nothing counts twice.
# analytics_rows_removed is how many fewer rows both tables hold (negative when a lone fresh
# row becomes one histogram row per grain).
_COMPACT = """
    CREATE FUNCTION job_analytics_compact(
        grains interval[], spans interval[],
        OUT analytics_rows_removed bigint, OUT error_rows_removed bigint
    ) LANGUAGE sql AS $$
        WITH analytics_rows AS (
            DELETE FROM job_analytics_deltas AS d
            WHERE NOT d.folded
               OR d.period < now() - interval '8 days'
               OR (d.period >= now() - interval '2 days'
                   AND d.period <> job_analytics_period(d.period, true))
            RETURNING d.period, d.type, d.measure, d.bin, d.jobs
        ), created_kept AS (
            INSERT INTO job_analytics_deltas AS d (period, type, measure, bin, jobs, folded)
            SELECT job_analytics_period(r.period, true), r.type, r.measure, r.bin,
                   sum(r.jobs), true
            FROM analytics_rows AS r
            WHERE r.measure = 'created' AND r.period >= now() - interval '8 days'
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (period, type, measure, bin) WHERE folded
            DO UPDATE SET jobs = d.jobs + excluded.jobs
            RETURNING (xmax = 0) AS inserted
        ), grain AS (
            SELECT g.grain, now() - g.span - g.grain AS kept_since
            FROM unnest(grains, spans) AS g (grain, span)
        ), timed AS (
            SELECT g.grain, date_bin(g.grain, r.period, TIMESTAMPTZ '2000-01-01') AS period,
                   r.type, r.measure, r.bin, sum(r.jobs)::bigint AS jobs
            FROM analytics_rows AS r
            CROSS JOIN grain AS g
            WHERE r.measure <> 'created'
              AND date_bin(g.grain, r.period, TIMESTAMPTZ '2000-01-01') >= g.kept_since
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
            -- Grains no window reads any more go too.
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
        SELECT (SELECT count(*) FROM analytics_rows)
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
    # Back to fresh trigger rows, one per bin, from the finest grain that still covers each
    # stretch of time (minutes for this hour, hours back to a 6-hour boundary, then 6 hours);
    # 0013's compactor folds them on its next pass.
    op.execute("""
        WITH edge AS (
            SELECT date_bin('1 hour', now(), TIMESTAMPTZ '2000-01-01') AS hourly_before,
                   date_bin('6 hours', now(), TIMESTAMPTZ '2000-01-01') - interval '18 hours'
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
    """)
    op.execute("DROP FUNCTION job_analytics_compact(interval[], interval[])")
    op.execute(_COMPACT_0013)
    op.execute("DROP FUNCTION job_histogram_add(bigint[], bigint[])")
    op.execute("DROP FUNCTION job_histogram(integer[], bigint[])")
    op.execute("DROP TABLE job_analytics_histograms")
