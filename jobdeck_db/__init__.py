"""Database plumbing both services share: where PostgreSQL is, and whether it is migrated."""
