"""Database plumbing both services share: where PostgreSQL is, whether it is migrated and
reachable, and how each service keeps its SQL."""
