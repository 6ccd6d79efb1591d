"""The cleaner's tables, declared for Alembic's drift check only (migration 0011 owns them)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = sa.MetaData()

_TIMESTAMP = sa.DateTime(timezone=True)

job_retired_counts = sa.Table(
    "job_retired_counts",
    metadata,
    sa.Column("status", sa.Text, primary_key=True),
    sa.Column("type", sa.Text, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)

cleanup_runs = sa.Table(
    "cleanup_runs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("started_at", _TIMESTAMP, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("trigger", sa.Text, nullable=False),
    sa.Column("requested_by", sa.Text),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("deleted", JSONB, nullable=False),
    sa.Column("archived_to", sa.Text),
    sa.Column("archive_files", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")),
    sa.Column("error", sa.Text),
    sa.Index("cleanup_runs_started_at_idx", sa.text("started_at DESC")),
)
