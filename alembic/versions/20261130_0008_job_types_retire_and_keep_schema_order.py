"""Job types can be retired, and keep their schema as written.

`DELETE /job-types/{name}` cannot remove the row: finished jobs still reference their type
through the foreign key, and their history must stay readable. So a deleted custom type is
retired instead (`retired_at` set, its controls and rate slots cleared): it leaves
GET /job-types, new jobs of it are refused, its old jobs keep their type's name, and a later
`PUT` of the same name revives it as a new registration.

`payload_schema` becomes `json` rather than `jsonb`: jsonb sorts an object's keys, and the
dashboard builds a type's form in the order its schema lists the properties; json keeps the
text as registered. Nothing queries inside a schema, so jsonb's operators are not missed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE job_types ADD COLUMN retired_at timestamptz")
    op.execute("""
        ALTER TABLE job_types ADD CONSTRAINT job_types_builtin_never_retired_check
            CHECK (NOT (builtin AND retired_at IS NOT NULL))
    """)
    op.execute(
        "ALTER TABLE job_types ALTER COLUMN payload_schema TYPE json USING payload_schema::json"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE job_types ALTER COLUMN payload_schema TYPE jsonb USING payload_schema::jsonb"
    )
    op.execute("ALTER TABLE job_types DROP CONSTRAINT job_types_builtin_never_retired_check")
    op.execute("ALTER TABLE job_types DROP COLUMN retired_at")
