"""The worker service's own table, declared for Alembic's drift check only.

The service itself runs the raw SQL in queries.sql; this mirrors migration 0002.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("worker_id", sa.Text, primary_key=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("processed", sa.BigInteger, nullable=False),
    sa.Column("stopped_at", sa.DateTime(timezone=True)),
)
