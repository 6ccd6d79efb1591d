"""API tokens: a name, a role and the SHA-256 of a secret that is never stored.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE api_tokens (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            name text NOT NULL CONSTRAINT api_tokens_name_key UNIQUE
                CONSTRAINT api_tokens_name_check CHECK (length(name) BETWEEN 1 AND 100),
            role text NOT NULL CONSTRAINT api_tokens_role_check
                CHECK (role IN ('viewer', 'producer', 'operator', 'admin', 'runner')),
            token_digest bytea NOT NULL CONSTRAINT api_tokens_token_digest_key UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz,
            last_used_at timestamptz
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE api_tokens")
