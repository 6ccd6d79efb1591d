"""Let the trigram index buffer more new entries before merging them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Batch inserts spent about a fifth of their database time merging trigram entries into the
GIN index (bench/README.md); a 64 MB pending list moves that work to vacuum.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER INDEX jobs_payload_trgm_idx SET (gin_pending_list_limit = 65536)")


def downgrade() -> None:
    op.execute("ALTER INDEX jobs_payload_trgm_idx RESET (gin_pending_list_limit)")
