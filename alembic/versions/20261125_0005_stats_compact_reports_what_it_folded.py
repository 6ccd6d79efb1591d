"""job_stats_compact() says how many rollup rows it folded away.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

The producer's stats compactor is a maintenance service like the others: each pass returns
what it did. The fold itself is unchanged; it became one statement so that it can count the
rows each rollup had before and kept after.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The return type changes, which CREATE OR REPLACE cannot do.
    op.execute("DROP FUNCTION job_stats_compact()")
    op.execute("""
        CREATE FUNCTION job_stats_compact(
            OUT count_rows_removed bigint, OUT throughput_rows_removed bigint
        ) LANGUAGE sql AS $$
            WITH count_rows AS (
                DELETE FROM job_count_deltas RETURNING status, type, delta
            ), count_rows_kept AS (
                INSERT INTO job_count_deltas (status, type, delta)
                SELECT status, type, sum(delta) FROM count_rows
                GROUP BY status, type HAVING sum(delta) <> 0
                RETURNING 1
            ), throughput_rows AS (
                DELETE FROM job_throughput_deltas RETURNING minute, completed, failed
            ), throughput_rows_kept AS (
                INSERT INTO job_throughput_deltas (minute, completed, failed)
                SELECT minute, sum(completed), sum(failed) FROM throughput_rows
                WHERE minute > now() - interval '30 days'
                GROUP BY minute
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM count_rows) - (SELECT count(*) FROM count_rows_kept),
                   (SELECT count(*) FROM throughput_rows)
                       - (SELECT count(*) FROM throughput_rows_kept)
        $$
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION job_stats_compact()")
    op.execute("""
        CREATE FUNCTION job_stats_compact() RETURNS void LANGUAGE sql AS $$
            WITH folded AS (DELETE FROM job_count_deltas RETURNING status, type, delta)
            INSERT INTO job_count_deltas (status, type, delta)
            SELECT status, type, sum(delta) FROM folded
            GROUP BY status, type HAVING sum(delta) <> 0;

            WITH folded AS (
                DELETE FROM job_throughput_deltas RETURNING minute, completed, failed
            )
            INSERT INTO job_throughput_deltas (minute, completed, failed)
            SELECT minute, sum(completed), sum(failed) FROM folded
            WHERE minute > now() - interval '30 days'
            GROUP BY minute;
        $$
    """)
